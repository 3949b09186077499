import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StepGateway } from '../../../src/chain/execute.ts';
import { CaseTimeoutError } from '../../../src/chain/executor.ts';
import { InProcessExecutor } from '../../../src/chain/in-process.ts';
import { SandboxCrashError } from '../../../src/chain/sandbox/child.ts';
import { SandboxExecutor } from '../../../src/chain/sandbox/executor.ts';
import { sandboxInfo } from '../../../src/chain/sandbox/isolation.ts';
import type { Variant } from '../../../src/eval/types.ts';
import { variantHash } from '../../../src/eval/variant.ts';

const SECRET = 'sk-test-secret-4f1c9a';

/** A temp dir readable by anyone, so the sandbox can also drop to uid nobody when run as root. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

function variant(chainPath: string, chainSource: string, params: Record<string, unknown> = {}): Variant {
  const content = {
    chainPath,
    chainSource,
    prompts: { draft: 'Draft: ${input.q}', answer: 'Answer ${vars.hop}' },
    params,
  };
  return {
    ...content,
    hash: variantHash(content),
    seq: 1,
    parent: null,
    level: 'baseline',
    createdBy: 'test',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

/** Answers host steps deterministically and records everything the chain reports. */
class FakeGateway implements StepGateway {
  readonly calls: unknown[] = [];
  constructor(
    private readonly delayMs = 0,
    private readonly tag = '',
  ) {}
  async hostStep(name: string, vars: Record<string, unknown>): Promise<unknown> {
    this.calls.push({ host: name, vars });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs).unref());
    if (name === 'docs') return [{ id: 'p1', title: 'T', text: `about ${JSON.stringify(vars)}` }];
    return `${name}(${JSON.stringify(vars)})${this.tag}`;
  }
  recordCode(r: {
    name: string;
    vars: Record<string, unknown>;
    output: unknown;
    latencyMs: number;
    error?: string;
  }): void {
    const { latencyMs, ...rest } = r;
    assert.equal(typeof latencyMs, 'number');
    this.calls.push({ code: rest });
  }
}

const NORMAL_CHAIN = `
import { defineChain, llm, retrieve, code } from 'fapo';
import { suffix } from '../helpers/suffix.ts';
type Hop = { hop: number };
export default defineChain({
  name: 'normal',
  steps: [
    llm('draft'),
    code('shout', (ctx) => String(ctx.steps.draft!.output).toUpperCase() + suffix),
    retrieve('docs', { resource: 'kb', query: '\${steps.shout.output}', k: '\${params.k}' }),
    llm('answer', { output: { fields: ['answer'] } }),
    code('finish', (ctx) => ({ answer: ctx.steps.answer!.output, n: ctx.params.k, missing: undefined, at: new Date(0) })),
  ],
  async flow(ctx) {
    await ctx.run('draft');
    await ctx.run('shout');
    for (const hop of [1, 2]) {
      await ctx.run('docs', { hop } satisfies Hop);
      await ctx.run('answer', { hop });
    }
    return ctx.run('finish');
  },
  output: 'finish',
});
`;

const ATTACK_CHAIN = `
import { defineChain, code } from 'fapo';
import * as fs from 'node:fs';
import * as cp from 'node:child_process';
import { Worker } from 'node:worker_threads';
/** Identifies this sandbox process (in its own PID namespace every child is pid 1). */
const processToken = Math.random();
export default defineChain({
  name: 'attacks',
  steps: [code('attack', async ({ input }) => {
    switch (input.attack) {
      case 'read': return fs.readFileSync(String(input.path), 'utf8');
      case 'readInside': return fs.readFileSync(String(input.path), 'utf8');
      case 'write': fs.writeFileSync(String(input.path), 'pwned'); return 'written';
      case 'spawn': return cp.execSync('id').toString();
      case 'worker': new Worker('process.exit(0)', { eval: true }); return 'worker started';
      case 'env': return { env: { ...process.env }, key: process.env.OPENAI_API_KEY ?? null };
      case 'net': return (await fetch(String(input.url))).text();
      case 'loop': for (;;) {}
      case 'oom': { const keep: number[][] = []; for (;;) keep.push(new Array(1e6).fill(1)); }
      case 'buffers': { const keep: Buffer[] = []; for (;;) { keep.push(Buffer.alloc(16 * 2 ** 20, 1)); await new Promise((r) => setTimeout(r, 2)); } }
      case 'slow': await new Promise((r) => setTimeout(r, Number(input.ms))); return 'slow done';
      case 'pid': await new Promise((r) => setTimeout(r, Number(input.ms ?? 0))); return processToken;
      default: return 'ok';
    }
  })],
});
`;

const attacks = () => variant('chains/attacks.ts', ATTACK_CHAIN);

/** PIDs of this process's sandbox children that are still running. */
function sandboxChildren(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes('--experimental-permission'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

let ws: string;
let outside: string;
const executors: SandboxExecutor[] = [];
function sandbox(opts: Partial<ConstructorParameters<typeof SandboxExecutor>[0]> = {}): SandboxExecutor {
  const ex = new SandboxExecutor({ taskDir: ws, ...opts });
  executors.push(ex);
  return ex;
}

before(() => {
  ws = tempDir('fapo-sbx-ws-');
  outside = tempDir('fapo-sbx-outside-');
  writeFileSync(join(outside, 'private.txt'), 'outside-secret-content');
  chmodSync(join(outside, 'private.txt'), 0o644);
  writeFileSync(join(ws, 'notes.txt'), 'inside content');
  mkdirSync(join(ws, 'helpers'));
  mkdirSync(join(ws, 'data'));
  writeFileSync(join(ws, 'data', 'answers.json'), '{"expected": "the hidden answer"}');
  writeFileSync(join(ws, 'helpers', 'suffix.ts'), `export const suffix: string = '!';\n`);
});

after(async () => {
  await Promise.all(executors.map((e) => e.close()));
  rmSync(ws, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('sandbox executor: same behaviour as in-process', () => {
  const normal = () => variant('chains/normal.ts', NORMAL_CHAIN, { k: 2 });
  let sbx: SandboxExecutor;
  before(() => {
    sbx = sandbox();
  });

  test('describe() gives the same structure without importing chain code in the parent', async () => {
    const marker = variant(
      'chains/marker.ts',
      `import { defineChain, llm } from 'fapo';\n(globalThis as any).fapoMarker = process.pid;\nexport default defineChain({ name: 'm', steps: [llm('draft')] });\n`,
    );
    assert.equal((await sbx.describe(marker)).steps[0]?.name, 'draft');
    assert.equal((globalThis as { fapoMarker?: unknown }).fapoMarker, undefined, 'chain code ran in the parent');
    const inproc = new InProcessExecutor(ws);
    const expected = await inproc.describe(normal());
    assert.equal(expected.customFlow, true);
    assert.deepEqual(await sbx.describe(normal()), expected);
  });

  test('run() gives the same output and step records as InProcessExecutor', async () => {
    const inproc = new InProcessExecutor(ws);
    const gIn = new FakeGateway();
    const gSbx = new FakeGateway();
    const input = { q: 'why is the sky blue' };
    const outIn = await inproc.run(normal(), input, gIn, 5000);
    const outSbx = await sbx.run(normal(), input, gSbx, 5000);
    assert.deepEqual(outSbx, outIn);
    assert.ok(Object.hasOwn(outSbx as object, 'missing'), 'undefined fields survive the IPC');
    assert.ok((outSbx as { at: unknown }).at instanceof Date);
    assert.equal(gSbx.calls.length, 7);
    assert.deepEqual(gSbx.calls, gIn.calls);
  });

  test('an error a host step raises reaches the caller as the same error object', async () => {
    const boom = new TypeError('provider down');
    const gateway: StepGateway = { hostStep: () => Promise.reject(boom), recordCode: () => {} };
    await assert.rejects(sbx.run(normal(), { q: 'x' }, gateway, 5000), (err) => err === boom);
  });

  test('many concurrent cases on a pool of 2 processes', async () => {
    const outputs = await Promise.all(
      Array.from({ length: 24 }, (_, i) => sbx.run(normal(), { q: `q${i}` }, new FakeGateway(5, `#${i}`), 5000)),
    );
    outputs.forEach((o, i) => void assert.equal((o as { answer: unknown }).answer, `answer({"hop":2})#${i}`));
    const pids = await Promise.all(
      Array.from({ length: 12 }, () => sbx.run(attacks(), { attack: 'pid', ms: 20 }, new FakeGateway(), 5000)),
    );
    assert.equal(new Set(pids).size, 2, `expected the cases to share exactly 2 processes, saw ${new Set(pids).size}`);
  });

  // The round trip's speed is measured by `npm run bench:eval` (sandboxed overhead and the bare IPC
  // round trip), not asserted here: a timed assertion fails whenever the machine is busy.
  test('a thousand host steps in one case each make exactly one round trip, in order', async (t) => {
    const loop = variant(
      'chains/loop.ts',
      `
import { defineChain, llm } from 'fapo';
export default defineChain({ name: 'loop', steps: [llm('draft')], async flow(ctx) { for (let i = 0; i < Number(ctx.input.n); i++) await ctx.run('draft', { i }); return 'done'; } });
`,
    );
    const seen: unknown[] = [];
    const gateway: StepGateway = {
      hostStep: async (_name, vars) => {
        seen.push(vars.i);
        return 'x';
      },
      recordCode: () => {},
    };
    const n = 1000;
    const started = performance.now();
    await sbx.run(loop, { n }, gateway, 30_000);
    t.diagnostic(`sandbox round trip per host step: ${(((performance.now() - started) / n) * 1000).toFixed(1)} µs`);
    assert.deepEqual(
      seen,
      Array.from({ length: n }, (_, i) => i),
    );
  });
});

describe('sandbox executor: isolation', () => {
  let sbx: SandboxExecutor;
  const savedKey = process.env.OPENAI_API_KEY;
  before(() => {
    process.env.OPENAI_API_KEY = SECRET;
    process.env.GITHUB_TOKEN = SECRET;
    sbx = sandbox();
  });
  after(() => {
    if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = savedKey;
    delete process.env.GITHUB_TOKEN;
  });
  const attack = (input: Record<string, unknown>, gateway: StepGateway = new FakeGateway(), timeoutMs = 5000) =>
    sbx.run(attacks(), input, gateway, timeoutMs);

  test('reading inside the workspace works; outside it is denied', async () => {
    assert.equal(await attack({ attack: 'readInside', path: join(ws, 'notes.txt') }), 'inside content');
    await assert.rejects(
      attack({ attack: 'read', path: join(outside, 'private.txt') }),
      /ERR_ACCESS_DENIED|Access to this API has been restricted/,
    );
    await assert.rejects(attack({ attack: 'read', path: '/etc/passwd' }), /Access to this API has been restricted/);
  });

  test('writing a file is denied, inside the workspace too', async () => {
    for (const path of [join(outside, 'pwned.txt'), join(ws, 'pwned.txt')]) {
      await assert.rejects(attack({ attack: 'write', path }), /Access to this API has been restricted/);
      assert.equal(existsSync(path), false);
    }
  });

  test('spawning a process or a worker is denied', async () => {
    await assert.rejects(attack({ attack: 'spawn' }), /Access to this API has been restricted/);
    await assert.rejects(attack({ attack: 'worker' }), /Access to this API has been restricted/);
  });

  test('the environment holds no API keys, and the secret appears in no output', async () => {
    const gateway = new FakeGateway();
    const output = (await attack({ attack: 'env' }, gateway)) as { env: Record<string, string>; key: string | null };
    assert.equal(output.key, null);
    assert.deepEqual(Object.keys(output.env).sort(), sbx.info.env);
    for (const name of Object.keys(output.env)) assert.doesNotMatch(name, /KEY|TOKEN|SECRET/);
    assert.equal(output.env.HOME, '/nonexistent');
    assert.doesNotMatch(JSON.stringify([output, gateway.calls, sbx.info]), new RegExp(SECRET));
    assert.throws(() => sandbox({ env: { ANTHROPIC_API_KEY: 'x' } }), /refusing to pass "ANTHROPIC_API_KEY"/);
  });

  test('hidden workspace paths (expected answers) can be neither read nor imported', async () => {
    const hiding = sandbox({ hide: ['data'] });
    assert.deepEqual(hiding.info.hidden, ['data']);
    assert.ok(!hiding.info.fsRead.includes(ws) && hiding.info.fsRead.includes(join(ws, 'notes.txt')));
    await assert.rejects(
      hiding.run(attacks(), { attack: 'read', path: join(ws, 'data', 'answers.json') }, new FakeGateway(), 5000),
      /Access to this API has been restricted/,
    );
    assert.equal(
      await hiding.run(attacks(), { attack: 'readInside', path: join(ws, 'notes.txt') }, new FakeGateway(), 5000),
      'inside content',
    );
    const peek = variant(
      'chains/peek.ts',
      `import answers from '../data/answers.json';\nexport default { name: 'peek', steps: [], answers };\n`,
    );
    await assert.rejects(hiding.describe(peek), /answers\.json, which chain code may not read/);
  });

  test('network: cut where the host allows, otherwise recorded as not cut', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('reachable');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      if (sbx.info.network === 'cut') {
        await assert.rejects(attack({ attack: 'net', url }), /fetch failed/);
        assert.equal(hits, 0);
      } else {
        assert.ok(sbx.info.warnings.some((w) => w.startsWith('network not cut')));
        assert.equal(await attack({ attack: 'net', url }), 'reachable');
      }
    } finally {
      server.close();
    }
  });

  test('sandboxInfo() records the isolation in force', () => {
    const info = sandboxInfo({ taskDir: ws, memoryMb: 128 });
    assert.match(info.permissionModel, /experimental in Node 20/);
    assert.equal(info.fsWrite, false);
    assert.equal(info.childProcesses, false);
    assert.equal(info.memoryMb, 128);
    assert.equal(info.residentMemoryMb, 256);
    assert.ok(info.fsRead.includes(ws));
    const root = process.getuid?.() === 0;
    assert.equal(info.uid, root && !info.warnings.some((w) => w.includes('runs as root')) ? 65534 : process.getuid?.());
    assert.equal(info.network === 'cut', !info.warnings.some((w) => w.startsWith('network not cut')));
  });
});

describe('sandbox executor: hangs, memory and crashes', { concurrency: true }, () => {
  test('a synchronous infinite loop times out, its process is replaced and the variant keeps working', async () => {
    const sbx = sandbox({ poolSize: 1 });
    const pid = await sbx.run(attacks(), { attack: 'pid' }, new FakeGateway(), 5000);
    const bystander = sbx.run(attacks(), { attack: 'slow', ms: 3000 }, new FakeGateway(), 5000);
    const started = performance.now();
    await assert.rejects(sbx.run(attacks(), { attack: 'loop' }, new FakeGateway(), 500), CaseTimeoutError);
    assert.ok(performance.now() - started < 1500, 'the timeout fires while chain code spins');
    await assert.rejects(
      bystander,
      (err: Error) => err instanceof SandboxCrashError && /timeout.*did not respond.*killed/s.test(err.message),
    );
    assert.notEqual(
      await sbx.run(attacks(), { attack: 'pid' }, new FakeGateway(), 5000),
      pid,
      'a new process serves the variant',
    );
  });

  test('a case that awaits too long times out without killing a healthy process', async () => {
    const sbx = sandbox({ poolSize: 1 });
    const pid = await sbx.run(attacks(), { attack: 'pid' }, new FakeGateway(), 5000);
    await assert.rejects(sbx.run(attacks(), { attack: 'slow', ms: 2000 }, new FakeGateway(), 300), CaseTimeoutError);
    assert.equal(
      await sbx.run(attacks(), { attack: 'pid' }, new FakeGateway(), 5000),
      pid,
      'the same process served the next case',
    );
  });

  test('unbounded memory kills only the sandbox process, with an out-of-memory reason; the pool recovers', async () => {
    const sbx = sandbox({ poolSize: 1, memoryMb: 48 });
    await assert.rejects(sbx.run(attacks(), { attack: 'oom' }, new FakeGateway(), 8000), /out of memory: .*48 MB/);
    assert.equal(await sbx.run(attacks(), { attack: 'none' }, new FakeGateway(), 5000), 'ok');
  });

  test('memory outside the V8 heap (Buffers) is capped too: the process is killed past heap cap + 128 MB', {
    skip: process.platform !== 'linux' && 'the resident-memory cap reads /proc',
  }, async () => {
    const sbx = sandbox({ poolSize: 1, memoryMb: 48 });
    await assert.rejects(
      sbx.run(attacks(), { attack: 'buffers' }, new FakeGateway(), 20_000),
      (err: Error) =>
        err instanceof SandboxCrashError &&
        /out of memory: .*resident in \d+ MB, over its cap of 176 MB/.test(err.message),
    );
    assert.equal(await sbx.run(attacks(), { attack: 'none' }, new FakeGateway(), 5000), 'ok');
  });

  test('a chain that crashes its process at load: describe() and run() reject with its output', async () => {
    const sbx = sandbox();
    const crash = variant(
      'chains/crash.ts',
      `process.stderr.write('boom-marker-123\\n'); process.exit(7);\nexport default {};\n`,
    );
    await assert.rejects(sbx.describe(crash), /exit code 7.*boom-marker-123/s);
    await assert.rejects(sbx.run(crash, {}, new FakeGateway(), 5000), /boom-marker-123/);
  });

  test('a chain that throws at load or has a syntax error: a clear error naming the file', async () => {
    const sbx = sandbox();
    const throws = variant('chains/throws.ts', `throw new Error('bad config');\n`);
    await assert.rejects(sbx.describe(throws), /chains\/throws\.ts: the chain module does not load: bad config/);
    const syntax = variant(
      'chains/syntax.ts',
      `import { defineChain } from 'fapo';\nexport default defineChain({ name: 'x', steps: [ });\n`,
    );
    await assert.rejects(
      sbx.describe(syntax),
      /chains\/syntax\.ts:2:\d+: .*does not compile|does not compile: .*chains\/syntax\.ts:2/,
    );
    const escapes = variant(
      'chains/escape.ts',
      `import secret from '${join(outside, 'private.txt')}';\nexport default { name: 'x', steps: [], secret };\n`,
    );
    await assert.rejects(
      sbx.describe(escapes),
      /private\.txt, which chain code may not read \(outside the task workspace/,
    );
  });
});

describe('sandbox executor: shutdown', () => {
  test('processes of idle variants are shut down beyond the two most recent', async () => {
    await Promise.all(executors.map((e) => e.close()));
    const sbx = sandbox({ poolSize: 1 });
    const copies = [1, 2, 3, 4].map((i) => variant(`chains/attacks-${i}.ts`, ATTACK_CHAIN));
    const tokens: unknown[] = [];
    for (const v of copies) tokens.push(await sbx.run(v, { attack: 'pid' }, new FakeGateway(), 5000));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(new Set(tokens).size, 4, 'one process per variant');
    assert.equal(sandboxChildren().length, 3, 'the current variant and the two most recent idle ones');
    assert.notEqual(
      await sbx.run(copies[0]!, { attack: 'pid' }, new FakeGateway(), 5000),
      tokens[0],
      'a retired variant starts again on demand, in a new process',
    );
  });

  test('close() leaves no sandbox processes behind', async () => {
    const sbx = new SandboxExecutor({ taskDir: ws, poolSize: 2 });
    await Promise.all(
      Array.from({ length: 4 }, () => sbx.run(attacks(), { attack: 'slow', ms: 50 }, new FakeGateway(), 5000)),
    );
    await Promise.all(executors.map((e) => e.close()));
    assert.ok(sandboxChildren().length > 0);
    await sbx.close();
    assert.deepEqual(sandboxChildren(), []);
  });
});
