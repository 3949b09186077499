import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockWorkspace } from '../../src/eval/workspace-lock.ts';
import { EXIT_CODES, FapoError } from '../../src/util/errors.ts';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/temp.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

/** The pid of a process that has exited (so is certainly not alive). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/** A folder the lock treats as a workspace: it has a manifest. */
function workspaceFolder(): string {
  const dir = tempDir('fapo-lock-');
  writeFileSync(join(dir, 'fapo.task.yaml'), 'name: lock-test\n');
  return dir;
}

describe('workspace lock', () => {
  it('leaves a folder that is no workspace untouched (no .fapo made)', () => {
    const dir = tempDir('fapo-lock-none-');
    lockWorkspace(dir, 'fapo eval dir').release();
    assert.equal(existsSync(join(dir, '.fapo')), false);
  });

  it('refuses a second holder and names the first: pid, host, command, since', () => {
    const ws = workspaceFolder();
    const lock = lockWorkspace(ws, 'fapo eval ws');
    assert.throws(
      () => lockWorkspace(ws, 'fapo optimize ws --resume'),
      (err: unknown) => {
        assert.ok(err instanceof FapoError);
        assert.equal(err.exitCode, EXIT_CODES.locked);
        assert.match(
          err.message,
          new RegExp(`in use by pid ${process.pid} on ${hostname()} \\(fapo eval ws\\), since 20`),
        );
        return true;
      },
    );
    lock.release();
    lockWorkspace(ws, 'fapo optimize ws --resume').release();
    assert.equal(existsSync(join(ws, '.fapo', 'lock')), false);
  });

  it('takes over the lock of a process that died (kill -9 leaves it behind)', () => {
    const ws = workspaceFolder();
    mkdirSync(join(ws, '.fapo'));
    const holder = { pid: deadPid(), host: hostname(), command: 'fapo eval ws', since: new Date().toISOString() };
    writeFileSync(join(ws, '.fapo', 'lock'), JSON.stringify(holder));
    const lock = lockWorkspace(ws, 'fapo eval ws');
    assert.throws(() => lockWorkspace(ws, 'x'), new RegExp(`pid ${process.pid}`));
    lock.release();
  });

  it('never takes over a lock held from another host (its pid cannot be checked here)', () => {
    const ws = workspaceFolder();
    mkdirSync(join(ws, '.fapo'));
    const holder = { pid: deadPid(), host: `${hostname()}-other`, command: 'fapo eval ws', since: 'then' };
    writeFileSync(join(ws, '.fapo', 'lock'), JSON.stringify(holder));
    assert.throws(() => lockWorkspace(ws, 'x'), /-other \(fapo eval ws\)/);
  });

  it('fapo eval and fapo optimize on a workspace in use stop at once with exit code 75, paying nothing', async () => {
    const dir = exampleWorkspace();
    const lock = lockWorkspace(dir, 'fapo optimize (the test)');
    try {
      for (const args of [
        ['eval', dir, '--no-sandbox'],
        ['optimize', dir, '--no-sandbox', '--resume'],
      ]) {
        const run = await runCli(args);
        assert.equal(run.code, EXIT_CODES.locked, run.stderr);
        assert.match(run.stderr, new RegExp(`in use by pid ${process.pid} .*\\(fapo optimize \\(the test\\)\\)`));
      }
    } finally {
      lock.release();
    }
    const free = await runCli(['eval', dir, '--no-sandbox', '--json']);
    assert.equal(free.code, 0, free.stderr);
  });
});
