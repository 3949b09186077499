/**
 * A full disk and a read-only store, for real: the workspace lives on a small tmpfs (mounting needs
 * root, as the CI container and the sandbox tests run). Each failure is a clear error naming the path
 * and the cause, with exit code 74, and the answers paid before it are not paid again by the rerun.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { EXIT_CODES } from '../../src/util/errors.ts';
import { runCli } from '../fixtures/cli.ts';
import { startFaultyQaProvider, type FaultyQaProvider } from '../fixtures/faulty-qa-provider.ts';
import { tempDir } from '../fixtures/temp.ts';
import { EXAMPLE_DIR } from '../fixtures/workspace.ts';

let provider: FaultyQaProvider;
before(async () => {
  provider = await startFaultyQaProvider({ faultRate: 0, latencyMs: 10 });
});
after(() => provider.close());

/** The example workspace on a fresh 4 MB tmpfs; unmounted after the test. */
function workspaceOnTmpfs(): { dir: string; mount: string } {
  const mount = tempDir('fapo-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  after(() => execFileSync('umount', ['-l', mount]));
  const dir = join(mount, 'task');
  cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (src) => !src.includes('.fapo') });
  return { dir, mount };
}

const evalArgs = (dir: string) => [
  'eval',
  dir,
  '--model',
  'openai-compatible:fake',
  '--split',
  'val',
  '--trials',
  '2',
  '--no-sandbox',
];
const env = () => ({ FAPO_OPENAI_COMPATIBLE_BASE_URL: provider.url, FAPO_OPENAI_COMPATIBLE_API_KEY: 'test-key-123' });

it('a disk that fills up mid-run: a clear error naming the store and the cause, exit 74, paid answers kept', async () => {
  const { dir, mount } = workspaceOnTmpfs();
  const paidBefore = provider.paid();
  const run = await runCli(evalArgs(dir), {
    env: env(),
    onSpawn: (child) => {
      const timer = setInterval(() => {
        if (provider.paid() - paidBefore < 40) return;
        clearInterval(timer);
        // Fill what is left of the disk.
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${join(mount, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
        } catch {
          // dd ends with ENOSPC, as intended
        }
      }, 1);
      child.on('exit', () => clearInterval(timer));
    },
  });
  assert.equal(run.code, EXIT_CODES.storage, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`cannot (write the workspace store|journal a paid answer in) ${mount}/task/\\.fapo`),
  );
  assert.match(run.stderr, /the disk is full \((SQLITE_FULL|ENOSPC)/);
  assert.doesNotMatch(run.stderr, /move the file away|\n\s+at /, 'no stack trace, no advice to drop the store');
  const paidByKilledRun = provider.paid() - paidBefore;

  execFileSync('rm', [join(mount, 'filler')]);
  const rerun = await runCli([...evalArgs(dir), '--json'], { env: env() });
  assert.equal(rerun.code, 0, rerun.stderr);
  const total = provider.paid() - paidBefore;
  // 240 calls make the run; answers in flight when the disk filled may be paid twice.
  assert.ok(total <= 240 + 8, `${total} answers paid for a 240-call run (${paidByKilledRun} before the disk filled)`);
});

it('a read-only store at start: a clear error naming the folder and the cause, exit 74, never "move the file away"', async () => {
  const { dir, mount } = workspaceOnTmpfs();
  const first = await runCli([...evalArgs(dir), '--limit', '2'], { env: env() });
  assert.equal(first.code, 0, first.stderr);
  execFileSync('mount', ['-o', 'remount,ro', mount]);
  const run = await runCli(evalArgs(dir), { env: env() });
  assert.equal(run.code, EXIT_CODES.storage, run.stderr);
  assert.match(run.stderr, new RegExp(`${mount}/task/\\.fapo: it is read-only \\(EROFS`));
  assert.doesNotMatch(run.stderr, /move the file away/);
  execFileSync('mount', ['-o', 'remount,rw', mount]);
  const paidBefore = provider.paid();
  const rerun = await runCli([...evalArgs(dir), '--limit', '2'], { env: env() });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(provider.paid(), paidBefore, 'the answers of the first run are still in the store');
});
