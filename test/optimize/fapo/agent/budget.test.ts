/** Proposer budgets are hard caps: the loop stops with BudgetExceededError and never spends past a cap. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageMeter, type BudgetCaps } from '../../../../src/models/meter.ts';
import { createAgentProposer } from '../../../../src/optimize/fapo/agent/index.ts';
import { BudgetExceededError } from '../../../../src/util/errors.ts';
import {
  call,
  makeInput,
  makeServices,
  makeWorkspace,
  scriptedModel,
  type ScriptedStep,
  type Workspace,
} from './helpers.ts';

/** A meter that also records every reservation's estimate, to check no call spent more than it reserved. */
class RecordingMeter extends UsageMeter {
  readonly estimates: number[] = [];
  constructor(caps: BudgetCaps) {
    super(caps);
  }
  override reserve(role: string, estimate: { tokens: number; costUsd: number }) {
    this.estimates.push(estimate.tokens);
    return super.reserve(role, estimate);
  }
}

const browsing: ScriptedStep[] = Array.from({ length: 10 }, () => call('list_failures'));

describe('agent proposer budgets', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.cleanup());

  it('a call cap stops the loop before the call that would pass it', async () => {
    const meter = new UsageMeter({ byRole: { proposer: { maxCalls: 3 } } });
    const model = scriptedModel(browsing);
    const proposer = createAgentProposer({ model, meter, maxSteps: 10 });
    await assert.rejects(proposer.propose(makeInput(ws, makeServices(ws))), (err: unknown) => {
      assert.ok(err instanceof BudgetExceededError, `expected BudgetExceededError, got ${String(err)}`);
      assert.equal(err.budget, 'proposer.maxCalls');
      return true;
    });
    assert.equal(model.doGenerateCalls.length, 3, 'the fourth call never reached the model');
    assert.equal(meter.usage('proposer').calls, 3);
    assert.equal(proposer.lastRun!.outcome, 'budget-exceeded');
    assert.equal(proposer.lastRun!.usage.calls, 3);
    assert.match(proposer.lastRun!.error!, /proposer\.maxCalls = 3/);
  });

  it('a token cap is never exceeded: each step reserves its worst case first', async () => {
    const cap = 40_000;
    const meter = new RecordingMeter({ byRole: { proposer: { maxTokens: cap } } });
    const model = scriptedModel(browsing, { input: 3000, output: 200 });
    const proposer = createAgentProposer({ model, meter, maxSteps: 10, sampling: { maxTokens: 300 } });
    await assert.rejects(proposer.propose(makeInput(ws, makeServices(ws))), BudgetExceededError);
    const usage = meter.usage('proposer');
    const spent = usage.inputTokens + usage.outputTokens;
    assert.ok(spent <= cap, `spent ${spent} > cap ${cap}`);
    assert.ok(usage.calls >= 1 && usage.calls < 10, `the loop stopped part-way (${usage.calls} calls)`);
    assert.equal(model.doGenerateCalls.length, usage.calls);
    // Each reservation bounded its call: prompt bytes + tool schemas + maxTokens ≥ what the call used.
    assert.ok(
      meter.estimates.every((e) => e >= 3000 + 300),
      `estimates ${meter.estimates.join(',')}`,
    );
    assert.ok(spent + meter.estimates.at(-1)! > cap, 'the refused step really could have passed the cap');
  });

  it('a dollar cap counts priced usage and stops the loop', async () => {
    // $1 per 1k tokens: a step that uses 5000 + 100 tokens costs $5.10.
    const prices = { 'mock:agent': { input: 1000, output: 1000 } };
    const perToken = 1000 / 1e6;
    const options = { prices, maxSteps: 10, sampling: { maxTokens: 100 } };
    // A dry run learns the first step's reservation, so the cap admits that step and stops soon after.
    const probe = new RecordingMeter({});
    await createAgentProposer({
      model: scriptedModel([call('finish', { summary: 'x' })]),
      meter: probe,
      ...options,
    }).propose(makeInput(ws, makeServices(ws)));
    const cap = probe.estimates[0]! * perToken + 7.65;

    const meter = new UsageMeter({ byRole: { proposer: { maxCostUsd: cap } } });
    const model = scriptedModel(browsing, { input: 5000, output: 100 });
    const proposer = createAgentProposer({ model, meter, ...options });
    await assert.rejects(proposer.propose(makeInput(ws, makeServices(ws))), BudgetExceededError);
    const usage = meter.usage('proposer');
    assert.ok(usage.calls >= 1 && usage.calls < 10, `${usage.calls} calls`);
    assert.ok(usage.costUsd <= cap, `spent $${usage.costUsd} > cap $${cap}`);
    assert.ok(Math.abs(usage.costUsd - usage.calls * 5.1) < 1e-9);
    assert.equal(proposer.lastRun!.usage.costUsd, usage.costUsd);
  });

  it('a cap too small for even one step makes no model call at all', async () => {
    const meter = new UsageMeter({ total: { maxTokens: 100 } });
    const model = scriptedModel(browsing);
    await assert.rejects(
      createAgentProposer({ model, meter }).propose(makeInput(ws, makeServices(ws))),
      BudgetExceededError,
    );
    assert.equal(model.doGenerateCalls.length, 0);
    assert.equal(meter.usage().calls, 0);
  });
});
