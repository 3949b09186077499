/**
 * Attacks from chain code on the host, each of which worked before the sandbox was hardened
 * (issue 18; the catalogue is docs/security.md). Runs as root in CI, so the privilege drop is real.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StepGateway } from '../../../src/chain/execute.ts';
import { SandboxExecutor } from '../../../src/chain/sandbox/executor.ts';
import type { Variant } from '../../../src/eval/types.ts';
import { variantHash } from '../../../src/eval/variant.ts';
import { readTask } from '../../../src/task/load.ts';
import { runCli } from '../../fixtures/cli.ts';
import { tempDir } from '../../fixtures/temp.ts';

const ATTACKS = `
import { defineChain, code } from 'fapo';
import * as fs from 'node:fs';
import * as net from 'node:net';
export default defineChain({
  name: 'containment',
  steps: [code('attack', async ({ input }) => {
    switch (input.attack) {
      case 'whoami': return { uid: process.getuid!(), gid: process.getgid!(), pid: process.pid };
      case 'kill': {
        const outcomes: string[] = [];
        for (const pid of input.pids as number[]) {
          try { process.kill(pid, 'SIGKILL'); outcomes.push('killed'); } catch (err) { outcomes.push((err as NodeJS.ErrnoException).code ?? 'error'); }
        }
        throw new Error('kill outcomes: ' + outcomes.join(','));
      }
      case 'read': return fs.readFileSync(String(input.path), 'utf8');
      case 'deep': { let a: unknown[] = []; for (let i = 0; i < Number(input.depth); i++) a = [a]; return a; }
      case 'connect': return await new Promise((resolve, reject) => {
        const socket = net.connect(String(input.path), () => { socket.end(); resolve('connected'); });
        socket.on('error', reject);
      });
      case 'big': return 'x'.repeat(Number(input.bytes));
      case 'raw': {
        // Bypasses the runtime: bytes straight onto the channel to the parent.
        const frame = Buffer.from(String(input.hex), 'hex');
        for (let at = 0; at < frame.length; ) {
          try { at += fs.writeSync(3, frame, at); } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        await new Promise((r) => setTimeout(r, 5000));
        return 'not killed';
      }
      default: return 'ok';
    }
  })],
});
`;

function variant(chainSource: string): Variant {
  const content = { chainPath: 'attacks.ts', chainSource, prompts: {}, params: {} };
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

const gateway: StepGateway = {
  hostStep: () => Promise.reject(new Error('no host steps here')),
  recordCode: () => {},
};

/** A workspace made by `fapo init` in a temp dir (made world-readable: mkdtemp creates it 0700). */
async function initWorkspace(): Promise<string> {
  const root = tempDir('fapo-contain-');
  chmodSync(root, 0o755);
  const dir = join(root, 'task');
  const init = await runCli(['init', dir]);
  assert.equal(init.code, 0, init.stderr);
  return dir;
}

const executors: SandboxExecutor[] = [];
after(() => Promise.all(executors.map((e) => e.close())));

describe('sandbox: privileges and processes', () => {
  let ws: string;
  let sbx: SandboxExecutor;
  before(async () => {
    ws = await initWorkspace();
    writeFileSync(join(ws, 'attacks.ts'), ATTACKS);
    // What `fapo eval` hides: the data folder makes the workspace's other entries separate (file) roots.
    sbx = new SandboxExecutor({ taskDir: ws, hide: ['data', '.fapo', '.env'] });
    executors.push(sbx);
  });

  test('chain code of an ordinary `fapo init` workspace runs as uid nobody (file roots, ten or more roots)', {
    skip: process.getuid?.() !== 0 && 'only root drops privileges',
  }, async () => {
    const files = sbx.info.fsRead.filter((p) => p.startsWith(ws) && /\.(ts|json|yaml)$/.test(p));
    assert.ok(files.length >= 4, `file roots: ${files.join(', ')}`);
    assert.ok(sbx.info.fsRead.length >= 10, `roots: ${sbx.info.fsRead.length}`);
    assert.deepEqual(
      sbx.info.warnings.filter((w) => w.includes('runs as root')),
      [],
    );
    assert.equal(sbx.info.uid, 65534);
    const me = (await sbx.run(variant(ATTACKS), { attack: 'whoami' }, gateway, 10_000)) as { uid: number; gid: number };
    assert.equal(me.uid, 65534);
    assert.equal(me.gid, 65534);
  });

  test('a workspace nobody cannot read: chain code runs as root, and the warning names the path and the fix', {
    skip: process.getuid?.() !== 0 && 'only root drops privileges',
  }, async () => {
    const dir = await initWorkspace();
    chmodSync(join(dir, 'chain.ts'), 0o600);
    const info = new SandboxExecutor({ taskDir: dir, hide: ['data'] }).info;
    assert.equal(info.uid, 0);
    assert.ok(
      info.warnings.some((w) => w.includes(`cannot read ${join(dir, 'chain.ts')}`) && w.includes('chmod o+rX')),
      info.warnings.join('\n'),
    );
  });

  test('chain code runs in its own PID namespace: killing the parent or a host process fails, the case ends as an error', async () => {
    assert.equal(sbx.info.processes, 'own PID namespace');
    const bystander: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
    after(() => bystander.kill());
    await new Promise((r) => bystander.once('spawn', r));
    const me = (await sbx.run(variant(ATTACKS), { attack: 'whoami' }, gateway, 10_000)) as { pid: number };
    assert.equal(me.pid, 1, 'chain code is the init of its namespace');
    await assert.rejects(
      sbx.run(variant(ATTACKS), { attack: 'kill', pids: [process.pid, bystander.pid!, process.ppid] }, gateway, 10_000),
      /kill outcomes: ESRCH,ESRCH,ESRCH/,
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bystander.exitCode, null, 'the unrelated process is alive');
    assert.equal(bystander.signalCode, null);
    assert.equal(await sbx.run(variant(ATTACKS), { attack: 'none' }, gateway, 10_000), 'ok', 'the parent lives on');
  });
});

describe('sandbox: symlinks out of what chain code may read', () => {
  let ws: string;
  let outside: string;
  let sbx: SandboxExecutor;
  const LINKS = {
    'answers-link.txt': () => join(ws, 'data', 'test.jsonl'),
    'outside-link.txt': () => join(outside, 'private.txt'),
    'environ-link': () => `/proc/${process.pid}/environ`,
    'corpus-elsewhere': () => outside,
    'prompts/leak.md': () => join(ws, 'data', 'train.jsonl'),
    'dangling-link': () => join(outside, 'not-yet-there.txt'),
  };
  before(async () => {
    ws = await initWorkspace();
    outside = tempDir('fapo-contain-outside-');
    chmodSync(outside, 0o755);
    writeFileSync(join(outside, 'private.txt'), 'outside-secret');
    writeFileSync(join(ws, 'attacks.ts'), ATTACKS);
    writeFileSync(join(ws, 'inside-target.txt'), 'fine');
    symlinkSync(join(ws, 'inside-target.txt'), join(ws, 'inside-link.txt'));
    for (const [link, target] of Object.entries(LINKS)) symlinkSync(target(), join(ws, link));
    sbx = new SandboxExecutor({ taskDir: ws, hide: ['data', '.fapo'] });
    executors.push(sbx);
  });
  const read = (path: string) => sbx.run(variant(ATTACKS), { attack: 'read', path }, gateway, 10_000);

  test('the sandbox grant leaves out each link whose target is hidden or outside; links within stay readable', async () => {
    for (const link of Object.keys(LINKS)) assert.ok(sbx.info.hidden.includes(link), `${link} not hidden`);
    for (const link of ['answers-link.txt', 'outside-link.txt', 'environ-link', 'prompts/leak.md'])
      await assert.rejects(read(join(ws, link)), /Access to this API has been restricted/, link);
    await assert.rejects(read(join(ws, 'corpus-elsewhere', 'private.txt')), /Access to this API has been restricted/);
    assert.equal(await read(join(ws, 'inside-link.txt')), 'fine');
    assert.match(String(await read(join(ws, 'prompts', 'answer.md'))), /\S/, 'the rest of prompts/ stays readable');
  });

  test("fapo's own loaders refuse a prompt, a corpus or a tool that resolves out of the workspace or into its data", async () => {
    const prompt = await initWorkspace();
    symlinkSync(`/proc/${process.pid}/environ`, join(prompt, 'prompts', 'environ.md'));
    await assert.rejects(
      readTask(prompt),
      /prompts\/environ\.md: the prompt template resolves to .*outside the task workspace/,
    );

    const corpus = await initWorkspace();
    const passages = join(corpus, 'corpus', 'passages.jsonl');
    renameSync(passages, join(outside, 'passages.jsonl'));
    symlinkSync(join(outside, 'passages.jsonl'), passages);
    await assert.rejects(
      readTask(corpus),
      /passages\.jsonl: the corpus of resource "wiki" resolves to .*outside the task workspace/,
    );

    const tool = await initWorkspace();
    mkdirSync(join(tool, 'tools'));
    writeFileSync(join(outside, 'evil.ts'), 'export const x = 1;\n');
    symlinkSync(join(outside, 'evil.ts'), join(tool, 'tools', 'evil.ts'));
    await assert.rejects(readTask(tool), /tools\/evil\.ts: the tool module resolves to .*outside the task workspace/);
  });
});

describe('sandbox: secret-looking files are hidden by name', () => {
  const SECRETS = [
    '.env',
    '.env.local',
    '.envrc',
    '.npmrc',
    '.netrc',
    '.pypirc',
    '.git/config',
    'credentials.json',
    'credentials-prod.json',
    'server.pem',
    'id_rsa',
    'nested/.env.production',
  ];
  test('chain code can read none of them; ordinary files beside them stay readable', async () => {
    const ws = await initWorkspace();
    writeFileSync(join(ws, 'attacks.ts'), ATTACKS);
    mkdirSync(join(ws, '.git'));
    mkdirSync(join(ws, 'nested'));
    writeFileSync(join(ws, 'nested', 'notes.txt'), 'plain');
    for (const file of SECRETS) writeFileSync(join(ws, file), 'token=s3cr3t');
    const sbx = new SandboxExecutor({ taskDir: ws, hide: ['data', '.fapo'] });
    executors.push(sbx);
    for (const file of SECRETS) {
      await assert.rejects(
        sbx.run(variant(ATTACKS), { attack: 'read', path: join(ws, file) }, gateway, 10_000),
        /Access to this API has been restricted/,
        file,
      );
    }
    assert.equal(
      await sbx.run(variant(ATTACKS), { attack: 'read', path: join(ws, 'nested', 'notes.txt') }, gateway, 10_000),
      'plain',
    );
  });
});

/** A frame (channel.ts) whose body V8 cannot deserialize without overflowing: arrays nested `depth` deep. */
function deepFrameHex(depth: number): string {
  const body = Buffer.concat([
    Buffer.from([0xff, 0x0f]),
    Buffer.alloc(depth * 2, Buffer.from([0x41, 0x01])),
    Buffer.from([0x41, 0x00, 0x24, 0x00, 0x00]),
    Buffer.alloc(depth * 3, Buffer.from([0x24, 0x00, 0x01])),
  ]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]).toString('hex');
}

describe('sandbox: what chain code sends back is bounded in the parent', () => {
  let ws: string;
  const sandbox = (limits: ConstructorParameters<typeof SandboxExecutor>[0]['limits'] = {}) => {
    const sbx = new SandboxExecutor({ taskDir: ws, hide: ['data', '.fapo'], limits });
    executors.push(sbx);
    return sbx;
  };
  before(async () => {
    ws = await initWorkspace();
    writeFileSync(join(ws, 'attacks.ts'), ATTACKS);
  });

  test('a deeply nested output fails its case with a clear error; the process serves the next case', async () => {
    const sbx = sandbox();
    await assert.rejects(
      sbx.run(variant(ATTACKS), { attack: 'deep', depth: 3000 }, gateway, 10_000),
      (err: Error) => err.name === 'SandboxLimitError' && /nested deeper than 100 levels/.test(err.message),
    );
    assert.equal(await sbx.run(variant(ATTACKS), { attack: 'none' }, gateway, 10_000), 'ok');
    assert.ok(Array.isArray(await sbx.run(variant(ATTACKS), { attack: 'deep', depth: 50 }, gateway, 10_000)));
  });

  test('an output or a step record over its cap fails its case, naming the cap and where to set it', async () => {
    const small = 64 * 1024;
    await assert.rejects(
      sandbox({ maxStepRecordBytes: small }).run(variant(ATTACKS), { attack: 'big', bytes: 200_000 }, gateway, 10_000),
      /record of step "attack" is \d+ bytes, over the cap of 65536 \(sandbox\.maxStepRecordBytes in fapo\.task\.yaml\)/,
    );
    await assert.rejects(
      sandbox({ maxOutputBytes: small }).run(variant(ATTACKS), { attack: 'big', bytes: 200_000 }, gateway, 10_000),
      /output \(with its tool state\) is \d+ bytes, over the cap of 65536 \(sandbox\.maxOutputBytes in fapo\.task\.yaml\)/,
    );
    assert.equal(
      String(await sandbox().run(variant(ATTACKS), { attack: 'big', bytes: 200_000 }, gateway, 10_000)).length,
      200_000,
      'the defaults (4 MiB) allow it',
    );
  });

  test('bytes written straight to the channel: an oversized or undecodable message kills only the child', async () => {
    const sbx = sandbox();
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(2 ** 31);
    await assert.rejects(
      sbx.run(variant(ATTACKS), { attack: 'raw', hex: huge.toString('hex') }, gateway, 10_000),
      /message of 2147483648 bytes, over the \d+-byte cap/,
    );
    await assert.rejects(
      sbx.run(variant(ATTACKS), { attack: 'raw', hex: deepFrameHex(200_000) }, gateway, 10_000),
      /sent bytes that are no message \(Maximum call stack size exceeded\)/,
    );
    assert.equal(await sbx.run(variant(ATTACKS), { attack: 'none' }, gateway, 10_000), 'ok');
  });
});

describe('sandbox: Unix sockets on the host', () => {
  test('chain code cannot connect to a socket in a folder it can read, nor to one in its workspace', async () => {
    const ws = await initWorkspace();
    writeFileSync(join(ws, 'attacks.ts'), ATTACKS);
    const dir = tempDir('fapo-contain-sock-');
    chmodSync(dir, 0o755);
    let connections = 0;
    const servers = [join(dir, 'agent.sock'), join(ws, 'db.sock')].map((path) => {
      const server = createServer((s) => {
        connections++;
        s.end();
      });
      return { path, server };
    });
    for (const { path, server } of servers) {
      await new Promise<void>((r) => server.listen(path, r));
      chmodSync(path, 0o777); // what Docker-group or world-writable sockets look like to nobody
    }
    after(() => {
      for (const { server } of servers) server.close();
    });
    const sbx = new SandboxExecutor({ taskDir: ws, hide: ['data', '.fapo'] });
    executors.push(sbx);
    assert.equal(sbx.info.filesystem, 'read roots only');
    assert.ok(sbx.info.hidden.includes('db.sock'));
    for (const { path } of servers)
      await assert.rejects(
        sbx.run(variant(ATTACKS), { attack: 'connect', path }, gateway, 10_000),
        /ENOENT|EACCES|ECONNREFUSED/,
        path,
      );
    assert.equal(connections, 0);
  });
});
