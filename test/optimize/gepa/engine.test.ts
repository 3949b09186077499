import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GepaEngine } from '../../../src/optimize/gepa/engine.ts';
import { parseGepaOptions, type GepaOptionsInput } from '../../../src/optimize/gepa/options.ts';
import { type GepaState, gepaLineage } from '../../../src/optimize/gepa/state.ts';
import { type FakeWorld, appendRule, currentInstruction, fakeContext, structureOf } from './fake-context.ts';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Even cases need the rule FIX in component c, multiples of 3 need SHARP in a, case 1 can never be
 * solved (so reflection never runs dry); reflecting on b adds a harmless note.
 */
function fixWorld(over: Partial<FakeWorld> = {}): FakeWorld {
  const missing = (p: Record<string, string>, id: string) => {
    const n = Number(id.slice(1));
    if (n === 1) return ['this case cannot be solved'];
    return [
      n % 2 === 0 && !p.c!.includes('FIX') ? 'step c must FIX' : '',
      n % 3 === 0 && !p.a!.includes('SHARP') ? 'step a must be SHARP' : '',
    ].filter(Boolean);
  };
  return {
    components: ['a', 'b', 'c'],
    trainIds: ids('t', 6),
    valIds: ids('v', 6),
    score: (p, id) => (missing(p, id).length ? 0 : 1),
    feedback: (p, id) => missing(p, id).join('; ') || 'ok',
    reflect: (prompt, n) => {
      const current = currentInstruction(prompt);
      return appendRule(prompt, current.includes('Do c.') ? 'FIX' : current.includes('Do a.') ? 'SHARP' : `note${n}`);
    },
    ...over,
  };
}

async function run(world: FakeWorld, options: GepaOptionsInput, extra: Parameters<typeof fakeContext>[1] = {}) {
  const fake = fakeContext(world, extra);
  const engine = new GepaEngine(fake.ctx, parseGepaOptions(options), structureOf(world.components) as never);
  const result = await engine.run();
  return { ...fake, result, state: fake.docs.get('gepa') as GepaState };
}

test('the seed is scored on the whole valset, and metric calls count exactly the rollouts made', async () => {
  const r = await run(fixWorld(), { maxMetricCalls: 60 });
  assert.deepEqual(Object.keys(r.state.candidates[0]!.valScores), ids('v', 6));
  assert.equal(
    r.rollouts.slice(0, 6).every((x) => x.split === 'val'),
    true,
  );
  assert.equal(r.state.metricCalls, r.rollouts.length);
  assert.equal(r.result.bestValidation.perCase.size, 6);
  // Stoppers are checked at the top of an iteration only: overshoot < 2b + |V|.
  assert.ok(r.state.metricCalls >= 60 && r.state.metricCalls < 60 + 2 * 3 + 6, String(r.state.metricCalls));
  assert.match(r.result.stopReason, /metric-call budget used/);
});

test('strict acceptance on the minibatch sum; accepted children are validated on the whole valset', async () => {
  const r = await run(fixWorld(), { maxMetricCalls: 80 });
  const mutations = r.state.iterations.filter((it) => it.kind === 'mutation' && it.scoresAfter);
  assert.ok(mutations.length >= 3);
  for (const it of mutations)
    assert.equal(it.accepted, sum(it.scoresAfter!) > sum(it.scoresBefore!), `iteration ${it.iteration}`);
  assert.ok(
    mutations.some((it) => !it.accepted && sum(it.scoresAfter!) === sum(it.scoresBefore!)),
    'an equal sum is rejected',
  );
  const accepted = mutations.filter((it) => it.accepted);
  assert.ok(accepted.length >= 1);
  for (const it of accepted) assert.deepEqual(Object.keys(r.state.candidates[it.added!]!.valScores), ids('v', 6));
  assert.equal(r.state.candidates.length, 1 + accepted.length);
  assert.equal(r.result.best.prompts.c!.includes('FIX'), true, 'the best mean validation score wins');
});

test('an identical rewrite is never accepted', async () => {
  const r = await run(fixWorld({ reflect: (prompt) => `\`\`\`\n${currentInstruction(prompt)}\n\`\`\`` }), {
    maxMetricCalls: 60,
  });
  assert.equal(r.state.candidates.length, 1);
  assert.ok(r.state.iterations.every((it) => !it.accepted));
});

test('round robin: one pointer per candidate, advanced on every proposal, inherited by children', async () => {
  const r = await run(fixWorld(), { maxMetricCalls: 150 });
  const proposed = new Map<number, string[]>();
  for (const it of r.state.iterations)
    if (it.proposals.length)
      proposed.set(it.parent!, [...(proposed.get(it.parent!) ?? []), it.proposals[0]!.component]);
  const order = ['a', 'b', 'c'];
  for (const [parent, comps] of proposed) {
    const start = order.indexOf(comps[0]!);
    comps.forEach((c, k) => void assert.equal(c, order[(start + k) % 3], `candidate ${parent}, proposal ${k}`));
    const c = r.state.candidates[parent]!;
    if (c.parents.length) {
      // A child starts where its parent's pointer was after proposing it.
      const parentProposals = r.state.iterations.filter(
        (it) => it.parent === c.parents[0] && it.proposals.length && it.iteration <= c.iteration,
      ).length;
      const parentStart = order.indexOf(proposed.get(c.parents[0]!)![0]!);
      assert.equal(comps[0], order[(parentStart + parentProposals) % 3], `child ${parent} inherits the pointer`);
    }
  }
  assert.equal(proposed.get(0)![0], 'a', 'the seed starts at the first component');
  assert.ok(
    [...proposed.values()].some((comps) => comps.length >= 4),
    'some candidate went round the whole cycle',
  );
});

test('"all" updates every component at once', async () => {
  const r = await run(fixWorld(), { maxMetricCalls: 40, componentSelector: 'all' });
  const first = r.state.iterations.find((it) => it.proposals.length)!;
  assert.deepEqual(
    first.proposals.map((p) => p.component),
    ['a', 'b', 'c'],
  );
});

test('a perfect minibatch is skipped after its b calls, without reflection; skipPerfectScore: false reflects anyway', async () => {
  const perfect = fixWorld({ score: () => 1 });
  const r = await run(perfect, { maxMetricCalls: 30 });
  assert.ok(r.state.iterations.length >= 8);
  for (const it of r.state.iterations) assert.equal(it.note, 'skipped: perfect minibatch');
  assert.equal(r.reflections.length, 0);
  assert.equal(r.state.iterations[1]!.metricCallsAfter - r.state.iterations[0]!.metricCallsAfter, 3);
  const r2 = await run(perfect, { maxMetricCalls: 30, skipPerfectScore: false });
  assert.ok(r2.reflections.length > 0);
  const r3 = await run(fixWorld({ score: () => 0.8 }), { maxMetricCalls: 30, perfectScore: 0.8 });
  assert.equal(r3.reflections.length, 0, 'perfectScore sets the bar');
});

test('minibatches walk epoch-shuffled train ids: every train id within each epoch', async () => {
  const r = await run(fixWorld({ score: () => 1 }), { maxMetricCalls: 6 + 3 * 8 });
  const batches = r.state.iterations.map((it) => it.minibatch!);
  assert.deepEqual(new Set(batches.slice(0, 2).flat()), new Set(ids('t', 6)));
  assert.deepEqual(new Set(batches.slice(2, 4).flat()), new Set(ids('t', 6)));
  assert.notDeepEqual(batches.slice(0, 2), batches.slice(2, 4));
});

test('a budget that runs out in the middle of a validation pass stops cleanly with validated candidates only', async () => {
  const full = await run(fixWorld(), { maxMetricCalls: 80 });
  const firstAccept = full.state.iterations.find((it) => it.accepted)!;
  const validationStart = firstAccept.metricCallsAfter - 6;
  const cap = validationStart + 3; // three cases into the child's validation
  const r = await run(fixWorld({ rolloutCap: cap }), { maxMetricCalls: 80 });
  assert.match(r.result.stopReason, /task-call budget \(\d+\) used.*stopped mid-iteration/);
  assert.equal(r.state.candidates.length, 1, 'the half-validated child is not a candidate');
  assert.equal(r.result.best.hash, r.ctx.baseline.hash);
  assert.equal(r.state.stopReason, r.result.stopReason);
});

test('budget presets: the paper budgets are expressible, and a budget is required', () => {
  assert.equal(parseGepaOptions({ budget: 'hotpotqa' }).maxMetricCalls, 6871);
  assert.equal(parseGepaOptions({ budget: 'hover' }).maxMetricCalls, 7051);
  assert.equal(parseGepaOptions({ budget: 'ifbench' }).maxMetricCalls, 3593);
  assert.equal(parseGepaOptions({ budget: 'pupa' }).maxMetricCalls, 2426);
  assert.equal(parseGepaOptions({ budget: 'aime' }).maxMetricCalls, 1839);
  assert.equal(parseGepaOptions({ budget: 'livebench' }).maxMetricCalls, 1839);
  const o = parseGepaOptions({ maxMetricCalls: 500 });
  assert.deepEqual(
    [
      o.minibatchSize,
      o.maxMergeInvocations,
      o.componentSelector,
      o.skipPerfectScore,
      o.perfectScore,
      o.valTrials,
      o.useMerge,
    ],
    [3, 5, 'round_robin', true, 1, 1, false],
  );
  assert.throws(() => parseGepaOptions({}), /a budget is required/);
  assert.throws(() => parseGepaOptions({ maxMetricCalls: 5, budget: 'pupa' }), /not both/);
  assert.throws(() => parseGepaOptions({ maxMetricCalls: 5, minibatch: 3 }), /invalid GEPA options/);
});

test('a reflection that drops a placeholder is repaired and the repair recorded', async () => {
  const r = await run(fixWorld({ reflect: () => '```\nSystem: FIX everything.\n```' }), { maxMetricCalls: 40 });
  const proposal = r.state.iterations.find((it) => it.proposals.length)!.proposals[0]!;
  assert.deepEqual(proposal.restoredPlaceholders, ['input.x']);
  assert.match(proposal.newText, /\$\{input\.x\}/);
  assert.ok(
    r.events.some(
      (e) => e.type === 'gepa-placeholders-restored' && e.restored.length === 1 && e.restored[0] === 'input.x',
    ),
  );
});

test('a resumed run replays memoized stages: same final state, no reflection call re-made', async () => {
  const world = fixWorld();
  const whole = await run(world, { maxMetricCalls: 120 });
  // The first attempt dies at its 4th reflection call; the memo (the session store) survives.
  const memo = new Map<string, unknown>();
  const crashing = fixWorld({
    reflect: (prompt, n) => {
      if (n === 4) throw new Error('killed');
      return world.reflect(prompt, n);
    },
  });
  await assert.rejects(run(crashing, { maxMetricCalls: 120 }, { memo }), /killed/);
  const resumed = await run(
    fixWorld({ reflect: (prompt, n) => world.reflect(prompt, n + 3) }),
    { maxMetricCalls: 120 },
    { memo },
  );
  assert.ok(whole.reflections.length > 4);
  assert.deepEqual(resumed.state, whole.state);
  assert.equal(resumed.reflections.length, whole.reflections.length - 3);
  assert.equal(resumed.result.best.hash, whole.result.best.hash);
});

test('lineage: candidates with parents, per-instance scores, fronts per iteration, proposals with prompts and outputs', async () => {
  const r = await run(fixWorld(), { maxMetricCalls: 80 });
  const lineage = gepaLineage(r.state);
  assert.equal(lineage.nodes.length, r.state.candidates.length);
  assert.equal(lineage.nodes.filter((n) => n.isBest).length, 1);
  const child = lineage.nodes[1]!;
  assert.deepEqual(child.parents, [0]);
  assert.equal(child.changed.length, 1);
  assert.deepEqual(child.valScores, r.state.candidates[1]!.valScores);
  assert.equal(lineage.frontByIteration.length, r.state.iterations.length);
  const p = lineage.proposals.find((x) => x.accepted)!;
  assert.ok(
    p.reflections[0]!.reflectionPrompt.includes('```') &&
      p.reflections[0]!.rawOutput.includes(p.reflections[0]!.newText),
  );
  assert.ok(p.sumAfter! > p.sumBefore!);
  assert.doesNotThrow(() => JSON.stringify(lineage));
});
