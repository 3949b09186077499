import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-gepa-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('fapo bench: GEPA cells (offline, sim stand-in)', () => {
  it('runs a GEPA session under an explicit metric-call budget and reports its compute', async () => {
    const out = join(root, 'out');
    const run = await runCli([
      'bench',
      '--tasks',
      'aime',
      '--strategies',
      'gepa',
      '--task-model',
      'sim:echo',
      '--trials',
      '1',
      '--limit',
      '3',
      '--budget',
      '6',
      '--out',
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bench-table.json'), 'utf8')) as {
      cells: {
        status: string;
        stopReason?: string;
        usage?: { total: { calls: number } };
        fairness?: { testEvaluations: number };
      }[];
    };
    const [cell] = json.cells;
    assert.equal(cell!.status, 'complete');
    assert.ok(cell!.usage!.total.calls > 0);
    assert.ok(cell!.fairness!.testEvaluations <= 2);
    assert.match(run.stdout, /budget: GEPA 6 metric calls/);
  });
});
