import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APICallError } from 'ai';
import { createAgentProposer } from '../../../../src/optimize/fapo/agent/index.ts';
import { FapoError } from '../../../../src/util/errors.ts';
import { createLeakageOracle, deterministicChecks } from '../../../../src/optimize/review/index.ts';
import type { ReviewResult } from '../../../../src/optimize/review/types.ts';
import {
  allToolResults,
  call,
  makeInput,
  makeServices,
  makeWorkspace,
  scriptedModel,
  STEP_USAGE,
  type Workspace,
} from './helpers.ts';

const BREVITY = '\nReply with the entity name only: no sentence, no explanation.';

describe('agent proposer: a scripted session', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.cleanup());

  it('reads a prompt, views a train case, writes a prompt variant → that is the proposal', async () => {
    const services = makeServices(ws);
    const failing = ws.train[0]!;
    const newAnswer = ws.parent.prompts.answer + BREVITY;
    const model = scriptedModel([
      call('read_file', { path: 'prompts/answer.md' }),
      call('view_case', { id: failing.id }),
      call('write_variant', {
        prompts: { answer: newAnswer },
        hypothesis: 'Verbose answers fail exact match.',
        technique: 'format-constraints',
      }),
      call('quick_check', { caseIds: [failing.id] }),
      call('finish', { summary: 'Added a brevity constraint to answer.' }),
    ]);
    const proposer = createAgentProposer({ model, sampling: { temperature: 0, maxTokens: 500 } });
    const proposal = await proposer.propose(makeInput(ws, services));

    assert.ok(proposal);
    assert.equal(proposal.level, 'prompt');
    assert.equal(proposal.technique, 'format-constraints');
    assert.equal(proposal.hypothesis, 'Verbose answers fail exact match.');
    assert.equal(proposal.prompts.answer, newAnswer);
    assert.equal(proposal.prompts.query, ws.parent.prompts.query);
    assert.equal(proposal.prompts.summarize, ws.parent.prompts.summarize);
    assert.deepEqual(proposal.params, ws.parent.params);
    assert.equal(proposal.chainSource, ws.parent.chainSource);
    assert.equal(proposal.chainPath, 'chain.ts');
    assert.deepEqual(proposal.files, []);
    assert.equal(proposal.parent, ws.parent);

    // The tools ran through the services and their results reached the model.
    assert.deepEqual(services.reads, ['prompts/answer.md']);
    assert.equal(services.quickChecks.length, 1);
    assert.equal(services.quickChecks[0]!.proposal, proposal);
    const seen = allToolResults(model);
    assert.deepEqual(
      seen.map((r) => [r.tool, r.type]),
      [
        ['read_file', 'json'],
        ['view_case', 'json'],
        ['write_variant', 'json'],
        ['quick_check', 'json'],
      ],
    );
    assert.match(JSON.stringify(seen[0]!.value), /Answer the question using the notes/);
    const caseSeen = JSON.stringify(seen[1]!.value);
    assert.ok(caseSeen.includes(String(failing.expected)), 'view_case shows the expected answer');
    assert.ok(caseSeen.includes('"answer"') && caseSeen.includes('"retrieve"'), 'view_case shows the step records');

    // The loop stopped at finish; the run summary is readable by the caller.
    assert.equal(model.doGenerateCalls.length, 5);
    const run = proposer.lastRun!;
    assert.equal(run.outcome, 'proposal');
    assert.equal(run.steps, 5);
    assert.equal(run.finished, true);
    assert.equal(run.finishSummary, 'Added a brevity constraint to answer.');
    assert.deepEqual(
      run.toolCalls.map((c) => c.tool),
      ['read_file', 'view_case', 'write_variant', 'quick_check', 'finish'],
    );
    assert.deepEqual(run.refusedWrites, []);
    assert.equal(run.usage.calls, 5);
    assert.equal(run.usage.inputTokens, 5 * STEP_USAGE.input);
    assert.equal(run.usage.outputTokens, 5 * STEP_USAGE.output);

    // Sampling reached the provider.
    assert.equal(model.doGenerateCalls[0]!.temperature, 0);
    assert.equal(model.doGenerateCalls[0]!.maxOutputTokens, 500);
  });

  it("what the tool layer accepts passes the review's deterministic checks (same proposal shape)", async () => {
    const model = scriptedModel([
      call('write_variant', {
        prompts: { answer: ws.parent.prompts.answer + BREVITY },
        hypothesis: 'h',
        technique: 'format-constraints',
      }),
      call('finish', { summary: 'x' }),
    ]);
    const services = makeServices(ws);
    const proposal = await createAgentProposer({ model }).propose(makeInput(ws, services));
    const checks = deterministicChecks(proposal!, {
      playbook: makeInput(ws, services).playbook,
      existingFiles: new Set(services.readableFiles()),
      heldOut: createLeakageOracle({ val: ws.val, test: ws.test }),
      train: createLeakageOracle({ train: ws.train }),
    });
    assert.deepEqual(
      checks.filter((c) => c.verdict === 'block'),
      [],
    );
  });

  it('tells the model the job: level, target, untried techniques, placeholders, synthetic-only few-shot', async () => {
    const model = scriptedModel([call('finish', { summary: 'nothing' })]);
    await createAgentProposer({ model }).propose(makeInput(ws, makeServices(ws)));
    const prompt = JSON.stringify(model.doGenerateCalls[0]!.prompt);
    assert.match(prompt, /ONE scoped change/);
    assert.match(prompt, /Cluster C1: 4 train failures labelled format at step answer/);
    assert.match(prompt, /tried: chain-of-thought/);
    assert.match(prompt, /not yet tried: module-isolation, decomposition, format-constraints/);
    assert.match(prompt, /SYNTHETIC/);
    assert.match(prompt, /Keep every \$\{placeholder\}/);
    assert.match(prompt, /placeholders: \$\{input.question\}, \$\{vars.summary\}/);
    const toolNames = (model.doGenerateCalls[0]!.tools ?? []).map((t) => t.name).sort();
    assert.deepEqual(toolNames, [
      'finish',
      'list_failures',
      'list_files',
      'quick_check',
      'read_file',
      'view_attribution',
      'view_case',
      'view_memory',
      'write_variant',
    ]);
  });

  it('returns null when the model finishes without writing, and records it', async () => {
    const model = scriptedModel([
      call('list_failures'),
      call('view_attribution'),
      call('view_memory'),
      call('finish', { summary: 'Nothing to change.' }),
    ]);
    const proposer = createAgentProposer({ model });
    assert.equal(await proposer.propose(makeInput(ws, makeServices(ws))), null);
    assert.equal(proposer.lastRun!.outcome, 'no-proposal');
    assert.equal(proposer.lastRun!.finished, true);
    assert.equal(proposer.lastRun!.steps, 4);
    const seen = allToolResults(model);
    assert.equal((seen[0]!.value as { total: number }).total, 4);
    assert.equal((seen[1]!.value as { targetCluster: string }).targetCluster, 'C1');
  });

  it('a reply without a tool call is one bad turn: the agent is asked again and its proposal kept', async () => {
    const answer = ws.parent.prompts.answer + BREVITY;
    const model = scriptedModel([
      call('list_failures'),
      { text: 'I think the answer prompt should be shorter.' },
      call('write_variant', { prompts: { answer }, hypothesis: 'h', technique: 'format-constraints' }),
      call('finish', { summary: 'brevity' }),
    ]);
    const proposer = createAgentProposer({ model });
    const proposal = await proposer.propose(makeInput(ws, makeServices(ws)));
    assert.equal(proposal!.prompts.answer, answer, 'not recorded as "nothing left to try"');
    const nudge = JSON.stringify(model.doGenerateCalls[2]!.prompt.at(-1));
    assert.match(nudge, /Your last reply called no tool/);
    assert.ok(proposer.lastRun!.toolCalls.some((c) => c.tool === '(no tool call)' && !c.ok));
  });

  it('gives up asking after two replies without a tool call (no proposal)', async () => {
    const model = scriptedModel([{ text: 'hmm' }, { text: 'hmm' }, { text: 'hmm' }, call('list_files')]);
    const proposer = createAgentProposer({ model });
    assert.equal(await proposer.propose(makeInput(ws, makeServices(ws))), null);
    assert.equal(model.doGenerateCalls.length, 3);
  });

  it('an outage of the proposer model ends with a message naming the role and the model', async () => {
    const model = scriptedModel([]);
    model.doGenerate = async () => {
      throw new APICallError({
        message: 'Service Unavailable',
        url: 'http://127.0.0.1:1/v1/chat/completions',
        requestBodyValues: {},
        statusCode: 503,
        isRetryable: true,
      });
    };
    const proposer = createAgentProposer({ model, maxRetries: 1 });
    await assert.rejects(proposer.propose(makeInput(ws, makeServices(ws))), (err: unknown) => {
      assert.ok(err instanceof FapoError);
      assert.match(err.message, /^the proposer model mock:agent failed after its retries: .*Service Unavailable/);
      assert.match(err.hint ?? '', /--resume/);
      return true;
    });
  });

  it('a second accepted write replaces the draft; the loop stops at maxSteps', async () => {
    const first = ws.parent.prompts.answer + BREVITY;
    const second = `You are a precise encyclopedist.\n${ws.parent.prompts.answer}`;
    const model = scriptedModel([
      call('write_variant', { prompts: { answer: first }, hypothesis: 'h1', technique: 'format-constraints' }),
      call('write_variant', { prompts: { answer: second }, hypothesis: 'h2', technique: 'role-framing' }),
      call('list_files'),
      call('list_files'),
    ]);
    const proposer = createAgentProposer({ model, maxSteps: 3 });
    const proposal = await proposer.propose(makeInput(ws, makeServices(ws)));
    assert.equal(proposal!.prompts.answer, second);
    assert.equal(proposal!.technique, 'role-framing');
    assert.equal(model.doGenerateCalls.length, 3);
    assert.equal(proposer.lastRun!.acceptedWrites, 2);
    assert.equal(proposer.lastRun!.finished, false);
  });

  it('a structure-level write adds a new chain file and the templates of its new steps', async () => {
    const chain = ws.parent.chainSource
      .replace("name: 'multi-hop-qa'", "name: 'multi-hop-qa-verify'")
      .replace("    llm('answer'),\n", "    llm('answer'),\n    llm('verify'),\n")
      .replace(
        "return run('answer', { summary });",
        "await run('answer', { summary });\n    return run('verify', { summary });",
      )
      .replace("output: 'answer'", "output: 'verify'");
    assert.ok(chain.includes("llm('verify')") && chain.includes("output: 'verify'"), 'fixture edit applied');
    const verify =
      'System: Check the draft answer against the notes and reply with the corrected entity name only.\nUser: Question: ${input.question}\nNotes: ${vars.summary}\nDraft: ${steps.answer.output}';
    const model = scriptedModel([
      call('write_variant', {
        chain: { path: 'chains/v3-verify.ts', source: chain },
        prompts: { verify },
        hypothesis: 'A verify step fixes wrong entities.',
        technique: 'verify-refine',
      }),
      call('finish', { summary: 'verify step' }),
    ]);
    const proposal = await createAgentProposer({ model }).propose(
      makeInput(ws, makeServices(ws), { level: 'structure' }),
    );
    assert.equal(allToolResults(model)[0]!.type, 'json', JSON.stringify(allToolResults(model)[0]));
    assert.equal(proposal!.level, 'structure');
    assert.equal(proposal!.chainPath, 'chains/v3-verify.ts');
    assert.equal(proposal!.chainSource, chain);
    assert.deepEqual(proposal!.files, ['chains/v3-verify.ts']);
    assert.equal(proposal!.prompts.verify, verify);
    assert.equal(proposal!.prompts.answer, ws.parent.prompts.answer);
  });

  it('a param-level write merges the changed params over the parent', async () => {
    const model = scriptedModel([
      call('write_variant', {
        params: { hops: 3 },
        hypothesis: 'Three-hop questions need a third hop.',
        technique: 'param-tuning',
      }),
      call('finish', { summary: 'hops 3' }),
    ]);
    const proposal = await createAgentProposer({ model }).propose(makeInput(ws, makeServices(ws), { level: 'param' }));
    assert.deepEqual(proposal!.params, { k: 3, hops: 3 });
    assert.deepEqual(proposal!.prompts, ws.parent.prompts);
    assert.deepEqual(proposal!.files, []);
  });

  it("on revision, the brief carries the reviewer's blocking reasons", async () => {
    const blocked = { ...makeInput(ws, makeServices(ws)) };
    const review: ReviewResult = {
      verdict: 'block',
      revisionAllowed: true,
      skipped: [],
      checks: [
        { check: 'train-copy', verdict: 'block', reasons: ['prompt answer contains the input of train case q001'] },
        { check: 'scope', verdict: 'pass', reasons: [] },
      ],
    };
    const previous = {
      level: 'prompt' as const,
      parent: ws.parent,
      chainSource: ws.parent.chainSource,
      chainPath: ws.parent.chainPath,
      prompts: { ...ws.parent.prompts, answer: `${ws.parent.prompts.answer}\nExample: copied` },
      params: ws.parent.params,
      files: [],
      hypothesis: 'examples help',
      technique: 'synthetic-few-shot',
    };
    const model = scriptedModel([call('finish', { summary: 'x' })]);
    const proposer = createAgentProposer({ model });
    await proposer.propose({ ...blocked, revision: { proposal: previous, review } });
    const prompt = JSON.stringify(model.doGenerateCalls[0]!.prompt);
    assert.match(prompt, /BLOCKED/);
    assert.match(prompt, /\[train-copy\] prompt answer contains the input of train case q001/);
    assert.match(prompt, /Example: copied/);
    assert.equal(proposer.lastRun!.revision, true);
  });
});
