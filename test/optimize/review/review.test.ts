import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffVariant, renderDiff } from '../../../src/optimize/review/diff.ts';
import { reviewProposal, type ReviewContext } from '../../../src/optimize/review/review.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { decideAfterReview } from '../../../src/optimize/review/verdict.ts';
import {
  allPass,
  EXISTING_FILES,
  FAPO_STUB,
  heldOutOracle,
  PARENT,
  paramProposal,
  playbook,
  promptProposal,
  ScriptedReviewer,
  structureProposal,
  trainOracle,
} from './fixtures.ts';

const ALL_CHECKS = Array.from({ length: 12 }, (_, i) => i + 1);

function context(
  overrides: Partial<ReviewContext> = {},
): ReviewContext & { model: ScriptedReviewer; smokeCalls: Proposal[] } {
  const smokeCalls: Proposal[] = [];
  return {
    playbook: playbook(),
    existingFiles: EXISTING_FILES,
    heldOut: heldOutOracle(),
    train: trainOracle(),
    smoke: async (p) => {
      smokeCalls.push(p);
      return { ok: true, errors: [] };
    },
    model: new ScriptedReviewer(allPass(ALL_CHECKS)),
    chainCode: { fapoTypesPath: FAPO_STUB },
    smokeCalls,
    ...overrides,
  } as ReviewContext & { model: ScriptedReviewer; smokeCalls: Proposal[] };
}

test('a clean proposal at each level passes every stage', async () => {
  for (const p of [promptProposal(), paramProposal(), structureProposal()]) {
    const ctx = context();
    const r = await reviewProposal(p, ctx);
    const notPass = r.checks.filter((c) => c.verdict !== 'pass');
    assert.equal(r.verdict, 'pass', `${p.level}: ${JSON.stringify(notPass)}`);
    assert.equal(r.revisionAllowed, false);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(
      r.checks.slice(0, 7).map((c) => c.check),
      ['scope', 'caps', 'placeholders', 'leakage', 'train-copy', 'chain-code', 'smoke'],
    );
    assert.equal(ctx.smokeCalls.length, 1);
    assert.equal(ctx.model.requests.length, 1);
  }
});

test('a deterministic block skips the smoke run and the model call, and allows one revision', async () => {
  const ctx = context();
  const r = await reviewProposal(paramProposal({ params: { k: 7, temperature: 0 } }), ctx);
  assert.equal(r.verdict, 'block');
  assert.equal(r.revisionAllowed, true);
  assert.deepEqual(r.skipped, ['smoke', 'reviewer-model']);
  assert.equal(ctx.smokeCalls.length, 0);
  assert.equal(ctx.model.requests.length, 0);
});

test('block → revise → block again → discard', async () => {
  const first = await reviewProposal(promptProposal({ files: ['scorer.ts'] }), context());
  assert.equal(decideAfterReview(0, first.verdict), 'revise');
  const second = await reviewProposal(
    promptProposal({ files: ['prompts/../scorer.ts'] }),
    context({ previousBlocks: 1 }),
  );
  assert.equal(second.verdict, 'block');
  assert.equal(second.revisionAllowed, false);
  assert.equal(decideAfterReview(1, second.verdict), 'discard');
  assert.equal(decideAfterReview(1, 'warn'), 'evaluate');
  assert.equal(decideAfterReview(0, 'pass'), 'evaluate');
});

test('a failing or throwing smoke run blocks before the model is asked', async () => {
  const failing = context({
    smoke: async () => ({ ok: false, errors: ['case t1: step answer threw: template missing'] }),
  });
  const r = await reviewProposal(promptProposal(), failing);
  assert.equal(r.verdict, 'block');
  assert.deepEqual(r.checks.find((c) => c.check === 'smoke')?.reasons, [
    'case t1: step answer threw: template missing',
  ]);
  assert.deepEqual(r.skipped, ['reviewer-model']);
  assert.equal(failing.model.requests.length, 0);
  const throwing = await reviewProposal(
    promptProposal(),
    context({ smoke: async () => Promise.reject(new Error('sandbox died')) }),
  );
  assert.match(throwing.checks.find((c) => c.check === 'smoke')!.reasons[0]!, /sandbox died/);
});

test('missing smoke runner or reviewer model are warnings, never silent passes', async () => {
  const ctx = context();
  const { smoke: _smoke, model: _model, ...rest } = ctx;
  const r = await reviewProposal(promptProposal(), rest);
  assert.equal(r.verdict, 'warn');
  assert.deepEqual(
    r.checks.filter((c) => c.verdict === 'warn').map((c) => c.check),
    ['smoke', 'reviewer-model'],
  );
});

test('a reviewer-model block is the final verdict', async () => {
  const model = new ScriptedReviewer({
    text: JSON.stringify({ checks: [{ id: 5, verdict: 'block', reasons: ['mentions a specific claim'] }] }),
  });
  const r = await reviewProposal(promptProposal(), context({ model }));
  assert.equal(r.verdict, 'block');
  assert.deepEqual(r.checks.find((c) => c.check === 'reviewer:5-no-example-specific-hints')?.reasons, [
    'mentions a specific claim',
  ]);
});

test('diffVariant gives unified diffs per changed prompt, params and chain', () => {
  const p = structureProposal({ params: { k: 9 } });
  const d = diffVariant(PARENT, p);
  assert.deepEqual(
    d.prompts.map((x) => x.name),
    ['rewrite'],
  );
  assert.match(d.prompts[0]!.patch, /--- \/dev\/null\n\+\+\+ b\/prompts\/rewrite/);
  assert.deepEqual(d.params?.keys, ['k']);
  assert.match(d.params!.patch, /- {2}"k": 7\n\+ {2}"k": 9/);
  assert.match(d.chain!.patch, /--- a\/chain\.ts\n\+\+\+ b\/chains\/variants\/v3-multihop\.ts/);
  assert.equal(renderDiff(diffVariant(PARENT, PARENT)), '(no changes)');
});
