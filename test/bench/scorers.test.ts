import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StepRecord } from '../../src/chain/types.ts';
import {
  aimeScorer,
  ctibenchScorer,
  hotpotqaScorer,
  hoverScorer,
  ifbenchScorer,
  livebenchMathScorer,
  pupaScorer,
  retrievalHops,
} from '../../src/bench/scorers.ts';
import { benchmarkDir } from '../../src/bench/workspace.ts';
import { CaseSchema, type Case } from '../../src/task/schema.ts';
import type { ScoreResult } from '../../src/task/scorer.ts';

function firstCase(task: Parameters<typeof benchmarkDir>[0], pick: (c: Case) => boolean = () => true): Case {
  const lines = readFileSync(join(benchmarkDir(task), 'data', 'train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const found = lines.map((l) => CaseSchema.parse(JSON.parse(l))).find(pick);
  assert.ok(found, `no matching ${task} case`);
  return found;
}

const retrieveStep = (name: string, titles: string[]): StepRecord => ({
  name,
  kind: 'retrieve',
  iteration: 0,
  inputs: {},
  output: titles.map((title) => ({ id: title, title, text: `${title} text` })),
  latencyMs: 0,
  diagnostics: [],
});

const llmStep = (name: string, userContent: string): StepRecord => ({
  name,
  kind: 'llm',
  iteration: 0,
  inputs: {},
  messages: [{ role: 'user', content: userContent }],
  output: userContent,
  latencyMs: 0,
  diagnostics: [],
});

const asResult = (r: ScoreResult | number | Promise<unknown>) => r as ScoreResult;

describe('benchmark scorers (fapo/bench) on hand-made outputs', () => {
  it('hotpotqa: normalised exact match, retrieval recall, hop-aware feedback naming the missing document', () => {
    const c = firstCase('hotpotqa'); // "yes"; gold: Stephen R. Donaldson, Michael Moorcock
    const steps = [
      retrieveStep('retrieve_hop1', ['Stephen R. Donaldson', 'Other']),
      retrieveStep('retrieve_hop2', ['Else']),
    ];
    const right = asResult(hotpotqaScorer({ case: c, output: { reasoning: '…', answer: 'Yes.' }, steps }));
    assert.equal(right.score, 1);
    assert.equal(right.breakdown?.retrievalRecall, 0.5);
    const wrong = asResult(hotpotqaScorer({ case: c, output: { reasoning: '…', answer: 'no' }, steps }));
    assert.equal(wrong.score, 0);
    assert.match(wrong.feedback!, /correct answer is "yes"/);
    assert.match(wrong.feedback!, /Missing document "Michael Moorcock"/);
  });

  it('hover: 1 only when every gold title is retrieved, counting at most 24 passages', () => {
    const c = firstCase('hover'); // gold: Kilby International Awards, Jack Kilby
    const filler = Array.from({ length: 23 }, (_, i) => `Filler ${i}`);
    const all = asResult(
      hoverScorer({
        case: c,
        output: null,
        steps: [
          retrieveStep('retrieve_hop1', ['Jack Kilby']),
          retrieveStep('retrieve_hop3', ['Kilby International Awards']),
        ],
      }),
    );
    assert.equal(all.score, 1);
    const beyondCap = asResult(
      hoverScorer({
        case: c,
        output: null,
        steps: [
          retrieveStep('retrieve_hop1', ['Jack Kilby', ...filler]),
          retrieveStep('retrieve_hop3', ['Kilby International Awards']),
        ],
      }),
    );
    assert.equal(beyondCap.score, 0, 'the 25th passage is not counted');
    assert.match(beyondCap.feedback!, /missed "Kilby International Awards"/);
    assert.deepEqual(retrievalHops([retrieveStep('r', ['A']), llmStep('x', 'y')]), [
      { step: 'r', documents: [{ title: 'A' }] },
    ]);
  });

  it('ifbench: the final_response field is checked; loose fraction with strict/prompt-level breakdown', () => {
    const c = firstCase('ifbench', (x) => JSON.stringify(x.expected).includes('format:parentheses'));
    const nested = 'Answer (one [two {three (four [five])}]) done.';
    const ok = asResult(ifbenchScorer({ case: c, output: { reasoning: '', final_response: nested }, steps: [] }));
    assert.equal(ok.score, 1);
    assert.equal(ok.breakdown?.strict_prompt, 1);
    const flat = asResult(
      ifbenchScorer({ case: c, output: { reasoning: '', final_response: 'No brackets here.' }, steps: [] }),
    );
    assert.equal(flat.score, 0);
    assert.match(flat.feedback!, /Constraints not met/);
  });

  it('pupa: leakage counts the PII units in what the untrusted step was actually sent', () => {
    const c = {
      id: 'p1',
      input: { userQuery: 'Write to Sandra about Max.' },
      expected: { targetResponse: 'dear friend hello', piiUnits: ['max', 'sandra'] },
      metadata: {},
    };
    const leaky = asResult(
      pupaScorer({
        case: c,
        output: { response: 'dear friend hello' },
        steps: [llmStep('untrusted_llm', 'Write to Sandra about a colleague.')],
      }),
    );
    assert.equal(leaky.breakdown?.leakage, 0.5);
    assert.equal(leaky.breakdown?.quality, 1);
    assert.equal(leaky.breakdown?.judged, 0);
    assert.equal(leaky.score, 0.75);
    assert.match(leaky.feedback!, /"sandra"/);
    assert.throws(() => pupaScorer({ case: c, output: 'x', steps: [] }), /no "untrusted_llm" step ran/);
  });

  it('aime: integer exact match on zero-padded or boxed answers; the train feedback carries the solution', () => {
    const c = firstCase('aime'); // 242
    assert.equal(asResult(aimeScorer({ case: c, output: { answer: '\\boxed{242}' }, steps: [] })).score, 1);
    const wrong = asResult(aimeScorer({ case: c, output: { answer: '241' }, steps: [] }));
    assert.equal(wrong.score, 0);
    assert.match(wrong.feedback!, /correct answer is 242[\s\S]*reference solution/);
  });

  it('livebench-math: the subtask scorer (multiple choice letters, AMPS symbolic equivalence)', () => {
    const mc = firstCase('livebench-math'); // A, amc
    assert.equal(asResult(livebenchMathScorer({ case: mc, output: { answer: 'AAAAA' }, steps: [] })).score, 1);
    assert.equal(asResult(livebenchMathScorer({ case: mc, output: { answer: 'BBBBB' }, steps: [] })).score, 0);
    const amps = firstCase('livebench-math', (x) => String(x.metadata.subtask).includes('amps_hard'));
    const gold = String((amps.expected as { groundTruth: string }).groundTruth);
    assert.equal(
      asResult(livebenchMathScorer({ case: amps, output: { answer: `$\\boxed{${gold}}$` }, steps: [] })).score,
      1,
    );
  });

  it('ctibench: the CWE id on the last line; the whole-line rule in the breakdown', () => {
    const c = firstCase('ctibench'); // CWE-79
    const r = asResult(ctibenchScorer({ case: c, output: 'The input is reflected unescaped.\nCWE-79', steps: [] }));
    assert.equal(r.score, 1);
    assert.equal(r.breakdown?.lastLineExact, 1);
    const loose = asResult(ctibenchScorer({ case: c, output: 'Answer: cwe-79', steps: [] }));
    assert.equal(loose.score, 1);
    assert.equal(loose.breakdown?.lastLineExact, 0);
    assert.equal(asResult(ctibenchScorer({ case: c, output: 'CWE-79\nso CWE-89', steps: [] })).score, 0);
  });
});
