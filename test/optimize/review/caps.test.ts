import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enforceRetrievalCaps, RetrievalCapError } from '../../../src/chain/caps.ts';
import { checkCaps } from '../../../src/optimize/review/caps.ts';
import { parseChain } from '../../../src/optimize/review/chain-ast.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { chainWith, paramProposal, playbook, promptProposal, structureProposal } from './fixtures.ts';

const CAPS = playbook().caps;
const caps = (p: Proposal, c = CAPS) => checkCaps(p, c, parseChain(p.chainSource, p.chainPath, p.params));
const has = (reasons: string[], pattern: RegExp) =>
  assert.ok(
    reasons.some((r) => pattern.test(r)),
    reasons.join(' | '),
  );

test('clean proposals stay within caps and say by how much', () => {
  assert.equal(caps(promptProposal()).verdict, 'pass');
  const r = caps(structureProposal());
  assert.equal(r.verdict, 'pass', r.reasons.join(' | '));
  has(r.reasons, /3 retrieve execution\(s\) per case ≤ hops cap 3/);
  has(r.reasons, /21 passages per case ≤ totalPassages cap 24/);
});

test('a literal k = 50 over passagesPerHop 10 is blocked', () => {
  const p = structureProposal({ chainSource: chainWith("k: '${params.k}'", 'k: 50') });
  const r = caps(p);
  assert.equal(r.verdict, 'block');
  has(r.reasons, /k = 50 > passagesPerHop cap 10/);
  has(r.reasons, /150 passages per case > totalPassages cap 24/);
});

test('k = ${params.k} with params.k = 50 is blocked, both as a param cap and per hop', () => {
  const r = caps(paramProposal({ params: { k: 50 } }), { ...CAPS, k: 10 });
  assert.equal(r.verdict, 'block');
  has(r.reasons, /param 'k' = 50 exceeds the cap 10/);
  has(r.reasons, /retrieve 'search' .* k = 50 > passagesPerHop cap 10/);
});

test('a loop of hops over the cap is blocked, with literal and params bounds', () => {
  const literal = structureProposal({ chainSource: chainWith('hop < 3', 'hop < 5') });
  const r = caps(literal);
  assert.equal(r.verdict, 'block');
  has(r.reasons, /runs 5 retrieve executions per case > hops cap 3/);
  const viaParams = structureProposal({
    chainSource: chainWith('hop < 3', 'hop <= ctx.params.hops'),
    params: { k: 2, hops: 4 },
  });
  const r2 = caps(viaParams);
  assert.equal(r2.verdict, 'block');
  has(r2.reasons, /runs 5 retrieve executions per case > hops cap 3/); // 0..4 inclusive
  has(r2.reasons, /param 'hops' = 4 exceeds the cap 3/);
});

test('unrolled retrieve calls are counted too', () => {
  const unrolled = chainWith(
    "      await ctx.run('search');\n",
    "      await ctx.run('search');\n      await ctx.run('search');\n",
  );
  const r = caps(structureProposal({ chainSource: unrolled, params: { k: 2 } }));
  assert.equal(r.verdict, 'block');
  has(r.reasons, /runs 6 retrieve executions/);
});

test('a bound that cannot be determined statically warns and names the runtime guard', () => {
  const whileLoop = chainWith(
    'for (let hop = 0; hop < 3; hop++) {',
    'let hop = 0;\n    while (hop++ < Number(ctx.vars)) {',
  );
  const r = caps(structureProposal({ chainSource: whileLoop }));
  assert.equal(r.verdict, 'warn');
  has(r.reasons, /while\/do loop with no static bound; .*enforced at run time by enforceRetrievalCaps/);
  const mapped = chainWith("await ctx.run('search');", "await Promise.all([1, 2].map(() => ctx.run('search')));");
  const r2 = caps(structureProposal({ chainSource: mapped }));
  assert.equal(r2.verdict, 'warn');
  has(r2.reasons, /inside a nested function/);
});

test('enforceRetrievalCaps throws on every kind of excess and allows the budget exactly', () => {
  const guard = enforceRetrievalCaps({ passagesPerHop: 10, hops: 3, totalPassages: 24 });
  guard(10, 0, 0);
  guard(7, 2, 17);
  assert.throws(
    () => guard(11, 0, 0),
    (e: unknown) => e instanceof RetrievalCapError && /passagesPerHop cap 10/.test(e.message),
  );
  assert.throws(() => guard(1, 3, 3), /hops cap 3/);
  assert.throws(() => guard(8, 2, 17), /totalPassages cap 24/);
  assert.throws(() => guard(-1, 0, 0), /non-negative integer/);
  assert.throws(() => guard(2.5, 0, 0), /non-negative integer/);
  // No caps → nothing to enforce.
  enforceRetrievalCaps({})(3000, 99, 1e6);
});
