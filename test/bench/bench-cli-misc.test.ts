import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benchmarkDir, parseBenchmarkTasks } from '../../src/bench/workspace.ts';
import { runCli } from '../fixtures/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-cli-misc-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface TableJson {
  cells: { status: string; reason?: string }[];
}

describe('fapo bench: errors and unavailable cells', () => {
  it('reports GEPA as not available where the study has no GEPA budget, instead of faking it', async () => {
    const run = await runCli([
      'bench',
      '--tasks',
      'ctibench',
      '--strategies',
      'gepa',
      '--task-model',
      'sim:echo',
      '--trials',
      '1',
      '--out',
      join(root, 'cti'),
    ]);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(readFileSync(join(root, 'cti', 'bench-table.json'), 'utf8')) as TableJson;
    assert.equal(json.cells[0]!.status, 'not-available');
    assert.match(json.cells[0]!.reason!, /no paper budget for ctibench/);
  });

  it('rejects unknown tasks with the list of known ones', () => {
    assert.throws(() => parseBenchmarkTasks('hotpotqa,squad'), /unknown benchmark task "squad"/);
    assert.deepEqual(parseBenchmarkTasks('hover, hotpotqa,hover'), ['hover', 'hotpotqa']);
  });
});

describe('fapo bench ifbench-verify', () => {
  /** The first `n` shipped sample_output lines and the reference's strict result rows for them. */
  const shippedRows = (n: number) => {
    const source = join(benchmarkDir('ifbench'), 'source');
    const lines = (file: string) => readFileSync(join(source, file), 'utf8').split('\n').filter(Boolean).slice(0, n);
    return {
      sample: lines('sample_output.jsonl'),
      reference: lines('eval_results_strict.jsonl').map((l) => JSON.parse(l)),
    };
  };

  it('writes reference-format rows for 3 rows of the shipped sample output, matching the reference verdicts', async () => {
    const { sample, reference } = shippedRows(3);
    const input = join(root, 'responses.jsonl');
    const output = join(root, 'results.jsonl');
    writeFileSync(input, `${sample.join('\n')}\n`);
    const run = await runCli(['bench', 'ifbench-verify', '--input', input, '--output', output]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /IFBench strict: prompt-level .*\(\d\/3\)/);
    const rows = readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), [
        'follow_all_instructions',
        'follow_instruction_list',
        'instruction_id_list',
        'prompt',
        'response',
      ]);
      assert.deepEqual(row, reference[i]);
    });
  });

  it('skips a row whose prompt is not an IFBench test prompt, naming it, and counts it in the summary', async () => {
    const { sample, reference } = shippedRows(2);
    const foreign = JSON.stringify({
      prompt: 'Write a haiku about the sea. Use no commas.',
      response: 'Waves fold on the sand',
    });
    const input = join(root, 'with-foreign.jsonl');
    const output = join(root, 'with-foreign-results.jsonl');
    writeFileSync(input, `${sample[0]}\n${foreign}\n${sample[1]}\n`);
    const run = await runCli(['bench', 'ifbench-verify', '--input', input, '--output', output]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: skipped 1 row\(s\) .*row 2 "Write a haiku about the sea\. Use no commas\."/);
    assert.match(run.stdout, /prompt-level .*\(\d\/2\)/);
    assert.match(run.stdout, /rows scored: 2; skipped \(prompt not an IFBench test prompt\): 1 \(rows 2\)/);
    const rows = readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.deepEqual(rows, reference);

    const json = await runCli(['bench', 'ifbench-verify', '--input', input, '--output', output, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).skipped, [
      { row: 2, prompt: 'Write a haiku about the sea. Use no commas.' },
    ]);
  });

  it('fails, naming the file, when no row has an IFBench test prompt', async () => {
    const input = join(root, 'all-foreign.jsonl');
    writeFileSync(input, `${JSON.stringify({ prompt: 'Hello?', response: 'Hi.' })}\n`);
    const run = await runCli(['bench', 'ifbench-verify', '--input', input, '--output', join(root, 'none.jsonl')]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /all-foreign\.jsonl: none of its 1 rows has an IFBench test prompt/);
  });
});
