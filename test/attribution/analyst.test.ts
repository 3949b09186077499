import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeFailures, renderAttributionMarkdown, type AttributionInput } from '../../src/attribution/index.ts';
import { BudgetExceededError } from '../../src/util/errors.ts';
import { llm, qaCase, RAG_CHAIN, result, retrieve, ScriptedAnalyst } from './fixtures.ts';

const relevant = [{ title: 'France', text: 'Paris is the capital of France. Berlin is the capital of Germany.' }];

/** `lowIds` fail with a plain wrong answer (low confidence); `highIds` miss a gold title (high confidence). */
function input(lowIds: string[], highIds: string[] = []): AttributionInput {
  const low = lowIds.map((id) => ({
    testCase: qaCase(id, 'What is the capital of France?', 'Paris'),
    res: result(id, [retrieve('zzz', 'capital of France', relevant), llm('answer', 'Berlin')], 'Berlin', 0),
  }));
  const high = highIds.map((id) => ({
    testCase: qaCase(id, 'What is the capital of France?', 'Paris', { supporting_titles: ['Paris'] }),
    res: result(id, [retrieve('zzz', 'capital of France', relevant), llm('answer', 'Berlin')], 'Berlin', 0),
  }));
  return {
    variant: 'v1',
    cases: [...low, ...high].map((x) => x.testCase),
    results: [...low, ...high].map((x) => x.res),
    chain: RAG_CHAIN,
    prompts: { answer: 'Answer the question using the passages.\nQuestion: ${input.question}' },
    goldEvidenceKey: 'supporting_titles',
    allowedLevels: ['prompt', 'structure'],
  };
}

const reply = (items: object[]) => JSON.stringify({ cases: items });

describe('analyst phase', () => {
  it('sees only low-confidence cases, with input, expected, step records and prompts', async () => {
    const analyst = new ScriptedAnalyst(
      reply([{ caseId: 'low1', label: 'reasoning', step: 'answer', pattern: 'Confuses two capitals in the passage!' }]),
    );
    const report = await attributeFailures(input(['low1'], ['high1']), { analyst });
    assert.equal(analyst.requests.length, 1);
    const request = analyst.requests[0]!;
    const prompt = request.messages.map((m) => m.content).join('\n');
    assert.equal(request.role, 'analyst');
    assert.ok(request.schema, 'structured output schema is sent');
    assert.match(prompt, /### Case low1/);
    assert.doesNotMatch(prompt, /Case high1/);
    assert.match(prompt, /Expected: Paris/);
    assert.match(prompt, /Answer the question using the passages/);
    assert.match(prompt, /\[France\] Paris is the capital/);

    const low = report.cases.find((c) => c.caseId === 'low1')!;
    assert.equal(low.label, 'reasoning');
    assert.equal(low.rule, 'analyst');
    assert.equal(low.level, 'prompt');
    assert.equal(low.confidence, 'medium');
    assert.equal(low.pattern, 'confuses-two-capitals-in-passage');
    assert.equal(report.cases.find((c) => c.caseId === 'high1')!.rule, 'gold-evidence');
    assert.deepEqual({ cases: report.analyst.cases, calls: report.analyst.calls }, { cases: 1, calls: 1 });
  });

  it('a knowledge label moves the case to the structure level', async () => {
    const analyst = new ScriptedAnalyst(
      reply([{ caseId: 'low1', label: 'knowledge', step: 'zzz', pattern: 'fact absent from passages' }]),
    );
    const report = await attributeFailures(input(['low1']), { analyst });
    assert.equal(report.cases[0]!.level, 'structure');
    assert.equal(report.cases[0]!.step, 'zzz');
  });

  it('invalid JSON keeps the rule label and records the failure', async () => {
    const analyst = new ScriptedAnalyst('I think it is a reasoning failure.');
    const report = await attributeFailures(input(['low1']), { analyst });
    const low = report.cases[0]!;
    assert.equal(low.label, 'content');
    assert.equal(low.rule, 'final-step-fallback');
    assert.match(low.analystError!, /not JSON/);
    assert.equal(report.analyst.failures.length, 1);
    assert.match(
      renderAttributionMarkdown(report),
      /## Analyst failures \(rule labels kept\)[\s\S]*\| low1 \| analyst answer is not JSON/,
    );
  });

  it('an invalid item (unknown label or step) keeps that case on its rule; valid items still apply', async () => {
    const analyst = new ScriptedAnalyst(
      reply([
        { caseId: 'low1', label: 'banana', step: 'answer', pattern: 'x' },
        { caseId: 'low2', label: 'format', step: 'answer', pattern: 'adds explanation' },
        { caseId: 'low3', label: 'reasoning', step: 'no_such_step', pattern: 'x' },
      ]),
    );
    const report = await attributeFailures(input(['low1', 'low2', 'low3']), { analyst });
    const byId = new Map(report.cases.map((c) => [c.caseId, c]));
    assert.equal(byId.get('low1')!.label, 'content');
    assert.match(byId.get('low1')!.analystError!, /label/);
    assert.equal(byId.get('low2')!.label, 'format');
    assert.equal(byId.get('low3')!.label, 'content');
    assert.match(byId.get('low3')!.analystError!, /step/);
    assert.equal(report.analyst.failures.length, 2);
  });

  it('a case the analyst skipped is recorded as unanswered', async () => {
    const analyst = new ScriptedAnalyst(reply([{ caseId: 'low1', label: 'reasoning', step: 'answer', pattern: 'p' }]));
    const report = await attributeFailures(input(['low1', 'low2']), { analyst });
    assert.deepEqual(
      report.analyst.failures.map((f) => f.caseIds),
      [['low2']],
    );
  });

  it('accepts a fenced JSON answer and a structured `object` answer', async () => {
    const fenced = new ScriptedAnalyst(
      `\`\`\`json\n${reply([{ caseId: 'low1', label: 'reasoning', step: 'answer', pattern: 'p' }])}\n\`\`\``,
    );
    assert.equal((await attributeFailures(input(['low1']), { analyst: fenced })).cases[0]!.label, 'reasoning');
    const structured = new ScriptedAnalyst('');
    structured.generate = async (req) => {
      structured.requests.push(req);
      return {
        text: '',
        object: { cases: [{ caseId: 'low1', label: 'format', step: 'answer', pattern: 'p' }] },
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        latencyMs: 1,
        cached: false,
        modelId: 'x',
      };
    };
    assert.equal((await attributeFailures(input(['low1']), { analyst: structured })).cases[0]!.label, 'format');
  });

  it('batches cases, honours maxAnalystCases, and can be switched off', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const analyst = new ScriptedAnalyst((req) => {
      const sent = [...req.messages[1]!.content.matchAll(/### Case (\w+)/g)].map((m) => m[1]);
      return reply(sent.map((caseId) => ({ caseId, label: 'reasoning', step: 'answer', pattern: 'p' })));
    });
    const report = await attributeFailures(input(ids), { analyst, analystBatchSize: 2, maxAnalystCases: 3 });
    assert.equal(report.analyst.calls, 2);
    assert.equal(report.analyst.cases, 3);
    assert.deepEqual(
      report.cases.map((c) => c.rule),
      ['analyst', 'analyst', 'analyst', 'final-step-fallback', 'final-step-fallback'],
    );
    assert.equal(report.analyst.usage.inputTokens, 200);

    const off = new ScriptedAnalyst('{}');
    const ablated = await attributeFailures(input(ids), { analyst: off, useAnalyst: false });
    assert.equal(off.requests.length, 0);
    assert.equal(ablated.analyst.enabled, false);
  });

  it('medium-confidence cases go only when asked, after the low ones', async () => {
    const medium = input([]);
    const format = qaCase('m1', 'What is the capital of France?', 'Paris');
    medium.cases.push(format);
    medium.results.push(
      result(
        'm1',
        [retrieve('zzz', 'capital of France', relevant), llm('answer', 'It is Paris, surely.')],
        'It is Paris, surely.',
        0,
      ),
    );
    const analyst = new ScriptedAnalyst(reply([{ caseId: 'm1', label: 'format', step: 'answer', pattern: 'p' }]));
    await attributeFailures(medium, { analyst });
    assert.equal(analyst.requests.length, 0);
    await attributeFailures(medium, { analyst, analystIncludeMedium: true });
    assert.equal(analyst.requests.length, 1);
  });

  it('a failing client keeps rule labels; a budget stop ends the analyst phase', async () => {
    const analyst = new ScriptedAnalyst('');
    analyst.generate = async (req) => {
      analyst.requests.push(req);
      throw new BudgetExceededError('analyst', 'analyst budget exhausted');
    };
    const report = await attributeFailures(input(['a', 'b', 'c']), { analyst, analystBatchSize: 1 });
    assert.equal(analyst.requests.length, 1);
    assert.match(report.analyst.failures[0]!.error, /budget exhausted/);
    assert.ok(report.cases.every((c) => c.rule === 'final-step-fallback'));
  });
});
