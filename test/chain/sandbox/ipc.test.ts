/**
 * How few messages a sandboxed case costs: code-step records ride on the case's next message, and a
 * chain made only of declarations runs its cases without any IPC. Same results as in-process.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StepGateway } from '../../../src/chain/execute.ts';
import { CaseTimeoutError } from '../../../src/chain/executor.ts';
import { InProcessExecutor } from '../../../src/chain/in-process.ts';
import { sandboxIpcCounts } from '../../../src/chain/sandbox/child.ts';
import { SandboxExecutor } from '../../../src/chain/sandbox/executor.ts';
import type { ChainVariant } from '../../../src/chain/types.ts';
import { variantHash } from '../../../src/eval/variant.ts';

/** What the executors run: the chain and the prompts its steps read, identified by their hash. */
function variant(name: string, chainSource: string): ChainVariant {
  const content = { chainPath: `chains/${name}.ts`, chainSource, prompts: { draft: 'Draft: ${input.q}' }, params: {} };
  return { ...content, hash: variantHash(content) };
}

/** Answers every host step after `delayMs`, and keeps what the chain reported, in order. */
function gateway(delayMs = 0): StepGateway & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    async hostStep(name, vars) {
      seen.push({ host: name, vars });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs).unref());
      return `${name}:${JSON.stringify(vars)}`;
    },
    recordCode({ latencyMs: _, ...record }) {
      seen.push({ code: record });
    },
  };
}

const CODE_CHAIN = `
import { defineChain, llm, code } from 'fapo';
export default defineChain({
  name: 'codes',
  steps: [
    code('a', () => 1),
    code('b', ({ steps }) => Number(steps.a!.output) + 1),
    llm('draft'),
    code('fn', () => () => 'functions do not cross processes'),
    code('c', ({ steps }) => String(steps.draft!.output).length),
  ],
});
`;

const DECLARATIVE_CHAIN = `
import { defineChain, llm } from 'fapo';
export default defineChain({ name: 'plain', steps: [llm('draft'), llm('answer', { prompt: 'draft' })] });
`;

const snapshot = () => ({ ...sandboxIpcCounts });
const since = (before: typeof sandboxIpcCounts) => ({
  toChildren: sandboxIpcCounts.toChildren - before.toChildren,
  fromChildren: sandboxIpcCounts.fromChildren - before.fromChildren,
});

let ws: string;
let sbx: SandboxExecutor;
before(() => {
  ws = mkdtempSync(join(tmpdir(), 'fapo-sbx-ipc-'));
  chmodSync(ws, 0o755); // readable by uid nobody, should the sandbox drop to it
  sbx = new SandboxExecutor({ taskDir: ws });
});
after(async () => {
  await sbx.close();
  rmSync(ws, { recursive: true, force: true });
});

describe('sandbox IPC per case', () => {
  test('code-step records ride on the next message: one round trip per host step plus the run', async () => {
    const codes = variant('codes', CODE_CHAIN);
    await sbx.describe(codes); // the child has loaded the chain
    const counts = snapshot();
    const seen = gateway();
    assert.equal(await sbx.run(codes, { q: 'x' }, seen, 5000), 'draft:{}'.length);
    // run → step(draft, with records a and b) → stepResult → done(with records fn and c)
    assert.deepEqual(since(counts), { toChildren: 2, fromChildren: 2 });
    const inProcess = gateway();
    await new InProcessExecutor(ws).run(codes, { q: 'x' }, inProcess, 5000);
    assert.deepEqual(
      seen.seen.map((s) => ('code' in (s as object) ? (s as { code: { name: string } }).code.name : 'host')),
      ['a', 'b', 'host', 'fn', 'c'],
    );
    const fn = seen.seen[3] as { code: { output: unknown } };
    assert.match(
      String(fn.code.output),
      /^\[not serializable: /,
      'a record that cannot cross keeps its place, with a note',
    );
    assert.deepEqual(
      seen.seen.filter((_, i) => i !== 3),
      inProcess.seen.filter((_, i) => i !== 3),
    );
  });

  test('a chain of declarations only runs its cases with no IPC, as in-process', async () => {
    const plain = variant('plain', DECLARATIVE_CHAIN);
    await sbx.describe(plain);
    const counts = snapshot();
    const seen = gateway();
    const output = await sbx.run(plain, { q: 'x' }, seen, 5000);
    assert.deepEqual(since(counts), { toChildren: 0, fromChildren: 0 });
    const inProcess = gateway();
    assert.equal(output, await new InProcessExecutor(ws).run(plain, { q: 'x' }, inProcess, 5000));
    assert.deepEqual(seen.seen, inProcess.seen);
    await assert.rejects(sbx.run(plain, { q: 'slow' }, gateway(200), 50), CaseTimeoutError);
  });
});
