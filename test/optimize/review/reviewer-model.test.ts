import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelClient } from '../../../src/models/types.ts';
import { reviewWithModel, type ModelReviewContext } from '../../../src/optimize/review/reviewer-model.ts';
import { BudgetExceededError, InfraError } from '../../../src/util/errors.ts';
import { allPass, paramProposal, playbook, promptProposal, ScriptedReviewer, structureProposal } from './fixtures.ts';

const context: ModelReviewContext = {
  playbook: playbook(),
  deterministic: [{ check: 'scope', verdict: 'pass', reasons: [] }],
};
const verdicts = (results: { check: string; verdict: string }[]) =>
  Object.fromEntries(results.map((r) => [r.check, r.verdict]));

test('garbage from the reviewer model is a warn with the reason, never a pass', async () => {
  for (const text of ['I think this looks great!', '{"checks": [{"id": 99, "verdict": "maybe"}]}', '']) {
    const results = await reviewWithModel(new ScriptedReviewer({ text }), promptProposal(), context);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.check, 'reviewer-model');
    assert.equal(results[0]!.verdict, 'warn');
    assert.match(results[0]!.reasons[0]!, /unusable reviewer reply/);
  }
});

test('a failing reviewer call warns; a budget stop propagates', async () => {
  const failing: ModelClient = { id: 'x:y', generate: async () => Promise.reject(new InfraError('provider down')) };
  const [r] = await reviewWithModel(failing, promptProposal(), context);
  assert.equal(r!.verdict, 'warn');
  assert.match(r!.reasons[0]!, /provider down/);
  const broke: ModelClient = {
    id: 'x:y',
    generate: async () => Promise.reject(new BudgetExceededError('reviewer', 'over budget')),
  };
  await assert.rejects(reviewWithModel(broke, promptProposal(), context), BudgetExceededError);
});

test('the reviewer is asked only the checks that apply, with a fresh context, as the reviewer role', async () => {
  const model = new ScriptedReviewer(allPass([1, 2, 3, 4, 5, 6, 7, 12]));
  const results = await reviewWithModel(model, promptProposal(), context);
  assert.deepEqual(
    results.map((r) => r.check),
    [
      'reviewer:1-scorer-compatibility',
      'reviewer:2-no-dataset-leakage',
      'reviewer:3-placeholder-integrity',
      'reviewer:4-isolation',
      'reviewer:5-no-example-specific-hints',
      'reviewer:6-no-training-few-shot',
      'reviewer:7-single-concern',
      'reviewer:12-scope-compliance',
    ],
  );
  assert.ok(results.every((r) => r.verdict === 'pass'));
  const req = model.requests[0]!;
  assert.equal(req.role, 'reviewer');
  assert.equal(req.messages.length, 2);
  assert.equal(req.messages[0]!.role, 'system');
  const user = req.messages[1]!.content;
  assert.match(user, /hypothesis: Reasoning over passages/);
  assert.match(user, /\+Think step by step/);
  assert.match(user, /frozen settings: model, temperature, topP, maxTokens/);
  assert.match(user, /- scope: pass/);
  assert.ok(req.schema && typeof req.schema === 'object');

  const chainModel = new ScriptedReviewer({ text: '{"checks": []}' });
  const chainResults = await reviewWithModel(chainModel, structureProposal(), context);
  assert.ok(chainResults.some((r) => r.check === 'reviewer:10-import-safety'));
  const paramResults = await reviewWithModel(
    new ScriptedReviewer({ text: '{"checks": []}' }),
    paramProposal(),
    context,
  );
  assert.ok(!paramResults.some((r) => /reviewer:(5|6|7|8|9|10|11)-/.test(r.check)));
});

test('structured objects and fenced JSON are read; missing checks warn; warn-only checks cannot block', async () => {
  const object = {
    checks: [
      { id: 2, verdict: 'block', reasons: ['hard-codes an answer'] },
      { id: 7, verdict: 'block', reasons: ['two concerns'] },
    ],
  };
  const results = verdicts(
    await reviewWithModel(new ScriptedReviewer({ text: '', object }), promptProposal(), context),
  );
  assert.equal(results['reviewer:2-no-dataset-leakage'], 'block');
  assert.equal(results['reviewer:7-single-concern'], 'warn');
  assert.equal(results['reviewer:1-scorer-compatibility'], 'warn');
  const fenced = `\`\`\`json\n${allPass([1, 2, 3, 4, 5, 6, 7, 12]).text}\n\`\`\``;
  const fromText = await reviewWithModel(new ScriptedReviewer({ text: fenced }), promptProposal(), context);
  assert.ok(fromText.every((r) => r.verdict === 'pass'));
});
