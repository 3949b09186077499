import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeFailures, renderAttributionMarkdown, type AttributionInput } from '../../src/attribution/index.ts';
import type { Level } from '../../src/task/schema.ts';
import { FapoError } from '../../src/util/errors.ts';
import { chainOf, code, llm, qaCase, result, retrieve } from './fixtures.ts';

const chain = chainOf(
  [
    ['fetch_docs', 'retrieve'],
    ['answer', 'llm'],
    ['tidy', 'code'],
  ],
  'answer',
);
const passages = [{ title: 'France', text: 'Paris is the capital of France.' }];

/**
 * 8 train cases: 3 format (prompt), 2 gold-missing (structure), 1 code crash (structure),
 * 1 pass, 1 infrastructure failure (excluded).
 */
function mixedInput(allowedLevels: Level[]): AttributionInput {
  const cases = [];
  const results = [];
  const ok = (id: string, output: string, score: number) =>
    result(
      id,
      [retrieve('fetch_docs', 'capital of France', passages), llm('answer', output), code('tidy', output)],
      output,
      score,
    );
  for (const id of ['f1', 'f2', 'f3']) {
    cases.push(qaCase(id, 'What is the capital of France?', 'Paris', { supporting_titles: ['France'] }));
    results.push(ok(id, 'The answer is Paris | the French capital.', 0));
  }
  for (const id of ['g1', 'g2']) {
    cases.push(qaCase(id, 'What is the capital of France?', 'Paris', { supporting_titles: ['France', 'Seine'] }));
    results.push(ok(id, 'Lyon', 0));
  }
  cases.push(qaCase('e1', 'What is the capital of France?', 'Paris'));
  results.push(
    result(
      'e1',
      [
        retrieve('fetch_docs', 'q', passages),
        llm('answer', 'Paris'),
        { ...code('tidy', null), error: 'RangeError: bad index 3' },
      ],
      null,
      null,
      { status: 'task_error' },
    ),
  );
  cases.push(qaCase('p1', 'What is the capital of France?', 'Paris'));
  results.push(ok('p1', 'Paris', 1));
  cases.push(qaCase('i1', 'What is the capital of France?', 'Paris'));
  results.push(result('i1', [], null, null, { status: 'infra_error', error: 'HTTP 503' }));
  return {
    variant: 'abc123',
    round: 2,
    split: 'train',
    cases,
    results,
    chain,
    prompts: { answer: 'Answer.' },
    goldEvidenceKey: 'supporting_titles',
    allowedLevels,
  };
}

describe('attribution report', () => {
  it('clusters, level partition, infrastructure, pass rate and ceilings on a mixed set', async () => {
    const report = await attributeFailures(mixedInput(['prompt', 'structure']));
    assert.equal(report.cases.length, 6);
    assert.deepEqual(report.infrastructure, { count: 1, caseIds: ['i1'] });
    assert.equal(report.evaluatedCases, 7);
    assert.equal(report.passRate, 1 / 7);

    const [first, second, third] = report.clusters;
    assert.equal(report.clusters.length, 3);
    assert.deepEqual([first!.id, first!.label, first!.step, first!.count], ['C1', 'format', 'answer', 3]);
    assert.deepEqual(first!.caseIds, ['f1', 'f2', 'f3']);
    assert.match(first!.suggestedFix, /brevity\/format constraints to answer/);
    assert.deepEqual(
      [second!.label, second!.pattern, second!.count, second!.level],
      ['retrieval', 'gold-title-missing@hop1', 2, 'structure'],
    );
    assert.match(second!.suggestedFix, /add a retrieval hop or multi-query retrieval/);
    assert.deepEqual([third!.label, third!.step, third!.level], ['task_error', 'tidy', 'structure']);

    assert.deepEqual(report.levelPartition.prompt, { count: 3, clusters: ['C1'] });
    assert.deepEqual(report.levelPartition.structure, { count: 3, clusters: ['C2', 'C3'] });
    assert.deepEqual(report.levelPartition.param, { count: 0, clusters: [] });
    assert.equal(report.recommendedLevel, 'prompt', 'a 3–3 tie goes to prompt');
    assert.equal(report.ceilingEstimate.prompt, 4 / 7);
    assert.equal(report.ceilingEstimate.structure, 4 / 7);
    assert.equal(report.ceilingEstimate.param, 1 / 7);
    assert.equal(report.ceilingEstimate.combined, 1);
    assert.equal(report.round, 2);
  });

  it('recommends the allowed level with the most failures', async () => {
    const structural = await attributeFailures(mixedInput(['param', 'structure']));
    assert.equal(structural.recommendedLevel, 'structure');
    assert.equal(structural.ceilingEstimate.combined, 4 / 7);
    const promptOnly = await attributeFailures(mixedInput(['prompt']));
    assert.equal(promptOnly.recommendedLevel, 'prompt');
    const input = mixedInput(['prompt', 'structure']);
    input.results = input.results.filter((r) => !r.caseId.startsWith('f'));
    assert.equal((await attributeFailures(input)).recommendedLevel, 'structure');
  });

  it('k below the passages cap makes gold misses param-addressable', async () => {
    const report = await attributeFailures({
      ...mixedInput(['prompt', 'param', 'structure']),
      caps: { passagesPerHop: 10 },
      params: { k: 3 },
    });
    assert.equal(report.levelPartition.param.count, 2);
    assert.match(
      report.clusters.find((c) => c.level === 'param')!.suggestedFix,
      /run another hop or raise k of fetch_docs/,
    );
  });

  it('refuses non-train splits, unknown case ids and empty allowed levels', async () => {
    await assert.rejects(attributeFailures({ ...mixedInput(['prompt']), split: 'val' }), FapoError);
    const orphan = mixedInput(['prompt']);
    orphan.results.push(result('ghost', [], 'x', 0));
    await assert.rejects(attributeFailures(orphan), /ghost/);
    await assert.rejects(attributeFailures(mixedInput([])), /allowedLevels/);
  });

  it('renders markdown with every key section and escaped cells', async () => {
    const markdown = renderAttributionMarkdown(await attributeFailures(mixedInput(['prompt', 'structure'])));
    for (const heading of [
      '# Failure attribution: variant abc123, round 2',
      '## Recommended level',
      '## Level partition',
      '## Ceiling estimates',
      '## Clusters',
      '## Failed cases',
    ]) {
      assert.ok(markdown.includes(heading), heading);
    }
    assert.match(markdown, /\*\*prompt\*\*/);
    assert.match(markdown, /\| C1 \| 3 \| format \| answer \| prompt \| medium \|/);
    assert.match(
      markdown,
      /\| g1 \| retrieval \| fetch\\_docs \| structure \| high \| gold-evidence \|/,
      'underscores are escaped so Markdown shows them literally',
    );
    assert.match(markdown, /Seine/);
    assert.match(markdown, /Paris \\\| the French/, 'a pipe inside evidence is escaped');
    assert.match(markdown, /Infrastructure failures .*: 1 \(i1\)/);
    assert.match(markdown, /\| combined \(prompt \+ structure\) \| 100\.0% \|/);
  });
});
