/**
 * The command table (src/cli/program.js): help, version and argument errors, and a command's failure
 * mapped to a message and exit code. Its start-up time is measured by `npm run bench:cli`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';

const COMMANDS = ['init', 'eval', 'variants', 'optimize', 'attribute', 'bench', 'report', 'demo', 'ui'];

describe('fapo command table', () => {
  it('lists every command in --help and prints the package version', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const command of COMMANDS) assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), command);
    const version = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it("prints a command's help", async () => {
    const run = await runCli(['optimize', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--proposer <kind>/);
    assert.match(run.stdout, /claude-code \| codex/);
  });

  it('maps a command failure to a message and exit code 2', async () => {
    const missing = join(import.meta.dirname, 'no-such-workspace');
    const run = await runCli(['eval', missing]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /fapo\.task\.yaml: not found/);
    assert.ok(!existsSync(missing), 'a folder that is no workspace is left as it was (no .fapo lock made)');
  });

  it("rejects an unknown option with commander's message and a non-zero exit", async () => {
    const run = await runCli(['eval', 'x', '--no-such-flag']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /unknown option '--no-such-flag'/);
  });
});
