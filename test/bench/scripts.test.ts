// Every `npm run bench:*` script runs here in its quick mode (same code path, tiny sizes), so a bench
// that breaks fails the suite. Figures are printed by the scripts, never asserted: only that each
// completes, honours --quick and prints its report.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runNode } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const scripts = Object.entries(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
).filter(([name]) => name.startsWith('bench:'));

describe('bench scripts', { concurrency: 2 }, () => {
  it('every scripts/bench-*.ts file is a bench:* script run by tsx', () => {
    const files = readdirSync(join(ROOT, 'scripts')).filter((f) => /^bench-.*\.ts$/.test(f));
    assert.deepEqual(scripts.map(([, command]) => command).sort(), files.map((f) => `tsx scripts/${f}`).sort());
  });

  for (const [name, command] of scripts) {
    it(`${name} --quick completes and prints its figures`, { timeout: 240_000 }, async () => {
      const script = command.replace(/^tsx /, '');
      const run = await runNode(['--import', 'tsx', script, '--quick'], { cwd: ROOT });
      assert.equal(run.code, 0, `${name} --quick exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
      const lines = run.stdout.trim().split('\n');
      assert.equal(lines[0], '(--quick: tiny sizes, figures are not meaningful)', `${name} ignored --quick`);
      assert.ok(lines.length > 2 && /\d/.test(lines.slice(1).join('\n')), `${name} printed no figures:\n${run.stdout}`);
    });
  }
});
