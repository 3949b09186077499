/**
 * Each guardrail of the agent's tools, attacked through the tools by a scripted model: the call is
 * refused with a tool error, the loop continues to a clean write, and nothing of the refused call
 * reaches the proposal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAgentProposer } from '../../../../src/optimize/fapo/agent/index.ts';
import type { ProposerInput } from '../../../../src/optimize/fapo/proposer.ts';
import {
  allToolResults,
  call,
  EXISTING_VARIANT,
  makeInput,
  makeServices,
  makeWorkspace,
  scriptedModel,
  type ScriptedStep,
  type Workspace,
} from './helpers.ts';

const MARKER = 'LEAK-MARKER-7731';

/** A chain variant that passes the tool layer: the baseline flow with one extra hop allowed by the caps. */
const cleanChain = (ws: Workspace) =>
  ws.parent.chainSource.replace("name: 'multi-hop-qa'", "name: 'multi-hop-qa-extra-hop'");

function cleanWrite(ws: Workspace, level: ProposerInput['level']): ScriptedStep {
  if (level === 'param')
    return call('write_variant', { params: { k: 2 }, hypothesis: 'clean', technique: 'param-tuning' });
  if (level === 'structure') {
    return call('write_variant', {
      chain: { path: 'chains/v3-extra-hop.ts', source: cleanChain(ws) },
      hypothesis: 'clean',
      technique: 'extra-retrieval-hop',
    });
  }
  return call('write_variant', {
    prompts: { answer: `${ws.parent.prompts.answer}\nGive the bare entity name.` },
    hypothesis: 'clean',
    technique: 'format-constraints',
  });
}

interface Attack {
  name: string;
  level?: ProposerInput['level'];
  attack: (ws: Workspace) => ScriptedStep;
  /** What the tool error must say. */
  refusal: RegExp;
  readable?: string[];
}

const ATTACKS: Attack[] = [
  {
    name: 'read data/val.jsonl',
    attack: () => call('read_file', { path: 'data/val.jsonl' }),
    refusal: /held-out data/,
  },
  {
    name: 'read data/test.jsonl',
    attack: () => call('read_file', { path: 'data/test.jsonl' }),
    refusal: /held-out data/,
  },
  {
    name: 'read data/train.jsonl (not in the readable set)',
    attack: () => call('read_file', { path: 'data/train.jsonl' }),
    refusal: /not in the proposer's readable set/,
  },
  {
    name: 'read ../outside',
    attack: () => call('read_file', { path: '../outside.txt' }),
    refusal: /outside the workspace/,
  },
  {
    name: 'read prompts/../../escape',
    attack: () => call('read_file', { path: 'prompts/../../escape.md' }),
    refusal: /outside the workspace/,
  },
  { name: 'read an absolute path', attack: () => call('read_file', { path: '/etc/passwd' }), refusal: /absolute/ },
  {
    name: 'read .fapo/store.sqlite',
    attack: () => call('read_file', { path: '.fapo/store.sqlite' }),
    refusal: /held-out data or run state/,
  },
  {
    name: 'read data/val.jsonl even when the services wrongly list it',
    attack: () => call('read_file', { path: 'data/val.jsonl' }),
    refusal: /held-out data/,
    readable: ['chain.ts', 'prompts/answer.md', 'data/val.jsonl', 'data/test.jsonl'],
  },
  {
    name: 'view a validation case',
    attack: (ws) => call('view_case', { id: ws.val[0]!.id }),
    refusal: /not available: only train cases can be viewed/,
  },
  {
    name: 'view a test case',
    attack: (ws) => call('view_case', { id: ws.test[0]!.id }),
    refusal: /not available: only train cases can be viewed/,
  },
  {
    name: 'view an unknown case',
    attack: () => call('view_case', { id: 'nope' }),
    refusal: /not available: only train cases can be viewed/,
  },
  {
    name: 'quick-check a validation case',
    attack: (ws) => call('quick_check', { caseIds: [ws.val[0]!.id] }),
    refusal: /no draft yet|not available/,
  },
  {
    name: 'write a chain outside the allowed globs',
    level: 'structure',
    attack: (ws) =>
      call('write_variant', {
        chain: { path: 'src/evil.ts', source: `${cleanChain(ws)}\n// ${MARKER}` },
        hypothesis: MARKER,
        technique: 'self-refine',
      }),
    refusal: /matches no allowed glob/,
  },
  {
    name: 'overwrite an existing chain variant',
    level: 'structure',
    attack: (ws) =>
      call('write_variant', {
        chain: { path: EXISTING_VARIANT, source: `${cleanChain(ws)}\n// ${MARKER}` },
        hypothesis: MARKER,
        technique: 'self-refine',
      }),
    refusal: /already exists/,
  },
  {
    name: 'overwrite the baseline chain',
    level: 'structure',
    attack: (ws) =>
      call('write_variant', {
        chain: { path: 'chain.ts', source: `${cleanChain(ws)}\n// ${MARKER}` },
        hypothesis: MARKER,
        technique: 'self-refine',
      }),
    refusal: /already exists|cloned to a new file/,
  },
  {
    name: 'import node:fs in a chain variant',
    level: 'structure',
    attack: (ws) =>
      call('write_variant', {
        chain: {
          path: 'chains/v3-fs.ts',
          source: `import { readFileSync } from 'node:fs';\n${cleanChain(ws)}\nexport const leak = readFileSync('data/val.jsonl', 'utf8'); // ${MARKER}`,
        },
        hypothesis: MARKER,
        technique: 'self-refine',
      }),
    refusal: /node:fs/,
  },
  {
    name: 'change a frozen param (temperature)',
    level: 'param',
    attack: () =>
      call('write_variant', {
        params: { temperature: 0.1, marker: MARKER },
        hypothesis: MARKER,
        technique: 'param-tuning',
      }),
    refusal: /frozen setting\(s\) temperature/,
  },
  {
    name: 'exceed a cap (k above passagesPerHop)',
    level: 'param',
    attack: () => call('write_variant', { params: { k: 10 }, hypothesis: MARKER, technique: 'param-tuning' }),
    refusal: /k = 10 > passagesPerHop cap 3/,
  },
  {
    name: 'change a param at prompt level',
    attack: (ws) =>
      call('write_variant', {
        prompts: { answer: `${ws.parent.prompts.answer}\n${MARKER}` },
        params: { k: 2 },
        hypothesis: MARKER,
        technique: 'format-constraints',
      }),
    refusal: /prompt-level proposal must not change params/,
  },
  {
    name: 'change a prompt at param level',
    level: 'param',
    attack: () =>
      call('write_variant', {
        prompts: { answer: MARKER },
        params: { k: 2 },
        hypothesis: MARKER,
        technique: 'param-tuning',
      }),
    refusal: /param-level proposal must not change prompts/,
  },
  {
    name: 'drop a placeholder',
    attack: () =>
      call('write_variant', {
        prompts: { answer: `System: Answer briefly. ${MARKER}\nUser: Question: \${input.question}` },
        hypothesis: MARKER,
        technique: 'format-constraints',
      }),
    refusal: /placeholder\(s\) \$\{vars.summary\} removed/,
  },
  {
    name: 'add a new template at prompt level',
    attack: () =>
      call('write_variant', {
        prompts: { sneaky: `${MARKER} \${input.question}` },
        hypothesis: MARKER,
        technique: 'format-constraints',
      }),
    refusal: /only structure-level proposals may add templates/,
  },
  {
    name: 'copy a train failure into a prompt as a few-shot example',
    attack: (ws) =>
      call('write_variant', {
        prompts: {
          answer: `${ws.parent.prompts.answer}\nExample (${MARKER}):\nQuestion: ${String(ws.train[0]!.input.question)}\nAnswer: ${String(ws.train[0]!.expected)}`,
        },
        hypothesis: MARKER,
        technique: 'synthetic-few-shot',
      }),
    refusal: /contains the input of train case \S+ \(input.question\).*synthetic/,
  },
  {
    name: 'write a chain at prompt level',
    attack: (ws) =>
      call('write_variant', {
        chain: { path: 'chains/v3.ts', source: cleanChain(ws) },
        prompts: { answer: MARKER },
        hypothesis: MARKER,
        technique: 'format-constraints',
      }),
    refusal: /prompt-level write must not include a chain/,
  },
];

describe('agent proposer guardrails: every attack is refused, the loop continues, nothing leaks', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.cleanup());

  for (const attack of ATTACKS) {
    it(attack.name, async () => {
      const level = attack.level ?? 'prompt';
      const services = makeServices(ws, attack.readable ? { readable: attack.readable } : {});
      const model = scriptedModel([attack.attack(ws), cleanWrite(ws, level), call('finish', { summary: 'done' })]);
      const proposer = createAgentProposer({ model });
      const proposal = await proposer.propose(makeInput(ws, services, { level }));

      const [refused, written] = allToolResults(model);
      assert.equal(
        refused!.type,
        'error-text',
        `the attack must come back as a tool error, got ${JSON.stringify(refused)}`,
      );
      assert.match(String(refused!.value), attack.refusal);
      assert.equal(written!.type, 'json', `the loop continued to a clean write, got ${JSON.stringify(written)}`);
      assert.equal(model.doGenerateCalls.length, 3);

      assert.ok(proposal, 'the clean write became the proposal');
      assert.equal(proposal.hypothesis, 'clean');
      assert.ok(!JSON.stringify(proposal).includes(MARKER), 'no refused content in the proposal');
      assert.ok(
        !services.reads.some((p) => p.includes('data/') || p.includes('..') || p.includes('.fapo')),
        'no forbidden read reached the services',
      );
      assert.equal(services.quickChecks.length, 0);
      const run = proposer.lastRun!;
      assert.equal(run.toolCalls[0]!.ok, false);
      assert.equal(run.outcome, 'proposal');
      const step = attack.attack(ws);
      if ('calls' in step && step.calls[0]!.tool === 'write_variant') {
        assert.equal(run.refusedWrites.length, 1);
        assert.equal(run.acceptedWrites, 1);
      }
    });
  }

  it('a refused write after an accepted one leaves the accepted draft untouched', async () => {
    const good = `${ws.parent.prompts.answer}\nGive the bare entity name.`;
    const model = scriptedModel([
      call('write_variant', { prompts: { answer: good }, hypothesis: 'good', technique: 'format-constraints' }),
      call('write_variant', {
        prompts: { answer: `${MARKER} no placeholders` },
        hypothesis: MARKER,
        technique: 'format-constraints',
      }),
      call('finish', { summary: 'done' }),
    ]);
    const proposal = await createAgentProposer({ model }).propose(makeInput(ws, makeServices(ws)));
    assert.equal(proposal!.prompts.answer, good);
    assert.ok(!JSON.stringify(proposal).includes(MARKER));
  });

  it('a train case seen through view_case (not a listed failure) cannot be copied either', async () => {
    const passing = ws.train[12]!;
    const copied = `${ws.parent.prompts.answer}\nExample:\nQuestion: ${String(passing.input.question)}\nAnswer: ${String(passing.expected)}`;
    const model = scriptedModel([
      call('view_case', { id: passing.id }),
      call('write_variant', { prompts: { answer: copied }, hypothesis: MARKER, technique: 'synthetic-few-shot' }),
      call('finish', { summary: 'x' }),
    ]);
    const proposer = createAgentProposer({ model });
    const services = makeServices(ws);
    assert.ok(
      !services.trainFailures().some((f) => f.case.id === passing.id),
      'fixture: the case is not a listed failure',
    );
    assert.equal(await proposer.propose(makeInput(ws, services)), null);
    const [, write] = allToolResults(model);
    assert.equal(write!.type, 'error-text');
    assert.match(String(write!.value), new RegExp(`train case ${passing.id}`));
    assert.equal(proposer.lastRun!.outcome, 'no-proposal');
  });

  it('quick_check refuses validation ids even with a draft, and more than 5 cases', async () => {
    const services = makeServices(ws);
    const model = scriptedModel([
      cleanWrite(ws, 'prompt'),
      call('quick_check', { caseIds: [ws.train[0]!.id, ws.val[0]!.id] }),
      call('quick_check', { caseIds: ws.train.slice(0, 6).map((c) => c.id) }),
      call('finish', { summary: 'done' }),
    ]);
    await createAgentProposer({ model }).propose(makeInput(ws, services));
    const [, valCheck, tooMany] = allToolResults(model);
    assert.equal(valCheck!.type, 'error-text');
    assert.match(String(valCheck!.value), /not available: only train cases/);
    assert.equal(tooMany!.type, 'error-text');
    assert.equal(services.quickChecks.length, 0);
  });

  it('quick checks are capped at 3 per session (they spend task-model calls)', async () => {
    const services = makeServices(ws);
    const id = ws.train[0]!.id;
    const model = scriptedModel([
      cleanWrite(ws, 'prompt'),
      ...Array.from({ length: 4 }, () => call('quick_check', { caseIds: [id] })),
      call('finish', { summary: 'done' }),
    ]);
    await createAgentProposer({ model }).propose(makeInput(ws, services));
    assert.equal(services.quickChecks.length, 3);
    const last = allToolResults(model).at(-1)!;
    assert.equal(last.type, 'error-text');
    assert.match(String(last.value), /quick checks of this session are used up/);
  });

  it('list_files never lists held-out or store paths, even when the services do', async () => {
    const model = scriptedModel([call('list_files'), call('finish', { summary: 'x' })]);
    const services = makeServices(ws, {
      readable: ['chain.ts', 'data/val.jsonl', 'data/test.jsonl', '.fapo/store.sqlite', 'prompts/answer.md'],
    });
    await createAgentProposer({ model }).propose(makeInput(ws, services));
    assert.deepEqual(allToolResults(model)[0]!.value, { files: ['chain.ts', 'prompts/answer.md'] });
  });
});

describe('agent proposer: malformed tool calls', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.cleanup());

  it('an unknown technique, an unknown tool and a missing argument come back as errors; the loop goes on', async () => {
    const model = scriptedModel([
      call('write_variant', {
        prompts: { answer: `${ws.parent.prompts.answer}\n${MARKER}` },
        hypothesis: MARKER,
        technique: 'magic',
      }),
      call('write_file', { path: 'prompts/answer.md', text: MARKER }),
      call('read_file', {}),
      cleanWrite(ws, 'prompt'),
      call('finish', { summary: 'done' }),
    ]);
    const proposer = createAgentProposer({ model });
    const proposal = await proposer.propose(makeInput(ws, makeServices(ws)));
    assert.equal(model.doGenerateCalls.length, 5);
    const seen = allToolResults(model);
    assert.deepEqual(
      seen.map((r) => r.type),
      ['error-text', 'error-text', 'error-text', 'json'],
    );
    assert.equal(proposal!.hypothesis, 'clean');
    assert.ok(!JSON.stringify(proposal).includes(MARKER));
    const run = proposer.lastRun!;
    assert.deepEqual(
      run.toolCalls.map((c) => [c.tool, c.ok]),
      [
        ['write_variant', false],
        ['write_file', false],
        ['read_file', false],
        ['write_variant', true],
        ['finish', true],
      ],
    );
    assert.match(run.toolCalls[1]!.note!, /invalid call/);
  });
});
