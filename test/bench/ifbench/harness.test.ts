import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  loadIfbenchTestSet,
  runIfbenchVerify,
  scoreIfbenchResponse,
  summarizeIfbench,
  verifyIfbench,
  type IfbenchConstraints,
} from '../../../src/bench/ifbench/index.ts';
import { FapoError } from '../../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ifbench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const testSet = loadIfbenchTestSet();
const numbersPrompt = testSet.find((p) => p.instructions.length === 1 && p.instructions[0].id === 'count:numbers')!;
const twoInstructionPrompt = testSet.find((p) => p.instructions.length === 2)!;

describe('loadIfbenchTestSet', () => {
  it('reads the 300 shipped prompts with nulls dropped from kwargs', () => {
    assert.equal(testSet.length, 300);
    assert.equal(testSet.filter((p) => p.instructions.length === 2).length, 44);
    assert.equal(new Set(testSet.flatMap((p) => p.instructions.map((i) => i.id))).size, 58);
    assert.deepEqual(Object.keys(numbersPrompt.instructions[0].kwargs), ['N']);
  });
});

describe('verifyIfbench', () => {
  const n = numbersPrompt.instructions[0].kwargs.N as number;
  const good = Array.from({ length: n }, (_, i) => String(i + 1)).join(' apples, ');

  it('returns rows in the reference result format', () => {
    const {
      results: [row],
    } = verifyIfbench([{ prompt: numbersPrompt.prompt, response: good }], { loose: false });
    assert.deepEqual(Object.keys(row), [
      'follow_all_instructions',
      'follow_instruction_list',
      'instruction_id_list',
      'prompt',
      'response',
    ]);
    assert.deepEqual(row.follow_instruction_list, [true]);
    assert.equal(row.follow_all_instructions, true);
  });

  it('finds a prompt after stripping surrounding whitespace', () => {
    const {
      results: [row],
    } = verifyIfbench([{ prompt: `  ${numbersPrompt.prompt}\n`, response: good }], { loose: true });
    assert.equal(row.prompt, numbersPrompt.prompt);
  });

  it('skips and names the rows whose prompt is not an IFBench test prompt, scoring the others', () => {
    const { results, skipped } = verifyIfbench(
      [
        { prompt: numbersPrompt.prompt, response: good },
        { prompt: 'What is 2+2?', response: '4' },
        { prompt: `${numbersPrompt.prompt} (edited)`, response: good },
      ],
      { loose: false },
    );
    assert.deepEqual(
      results.map((r) => r.prompt),
      [numbersPrompt.prompt],
    );
    assert.deepEqual(skipped, [
      { row: 2, prompt: 'What is 2+2?' },
      { row: 3, prompt: `${numbersPrompt.prompt.slice(0, 80)}…` },
    ]);
    assert.deepEqual(
      summarizeIfbench(results, 'strict', skipped).skipped.map((s) => s.row),
      [2, 3],
    );
  });

  it('summarizes prompt- and instruction-level accuracy', () => {
    const { results: rows } = verifyIfbench(
      [
        { prompt: numbersPrompt.prompt, response: good },
        { prompt: twoInstructionPrompt.prompt, response: 'nothing useful' },
      ],
      { loose: false },
    );
    const summary = summarizeIfbench(rows, 'strict');
    assert.equal(summary.promptLevel.total, 2);
    assert.equal(summary.instructionLevel.total, 3);
    assert.ok(summary.promptLevel.followed >= 1 && summary.promptLevel.followed <= 2);
    assert.equal(summary.byInstruction['count:numbers'].followed, 1);
  });
});

describe('runIfbenchVerify', () => {
  it('reads and writes JSONL and reports the summary', () => {
    const input = join(dir, 'responses.jsonl');
    const output = join(dir, 'results.jsonl');
    writeFileSync(input, `${JSON.stringify({ prompt: numbersPrompt.prompt, response: 'no digits here' })}\n\n`);
    const summary = runIfbenchVerify({ input, output, loose: true });
    assert.equal(summary.mode, 'loose');
    assert.deepEqual(summary.promptLevel, { followed: 0, total: 1, accuracy: 0 });
    const written = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(written.length, 1);
    assert.deepEqual(written[0].follow_instruction_list, [false]);
  });

  it('rejects a malformed line with file:line', () => {
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, `${JSON.stringify({ prompt: 'p', response: 'r' })}\n{"prompt": "p"}\n`);
    assert.throws(
      () => runIfbenchVerify({ input, output: join(dir, 'out.jsonl'), loose: false }),
      (err: unknown) => err instanceof FapoError && err.message.startsWith(`${input}:2:`),
    );
  });
});

describe('scoreIfbenchResponse', () => {
  const constraints: IfbenchConstraints = {
    instruction_id_list: ['format:no_whitespace', 'count:numbers'],
    kwargs: [{ N: null }, { N: 2, percentage: null }],
  };

  it('scores the loose fraction, with strict and prompt-level in the breakdown', () => {
    const result = scoreIfbenchResponse(constraints, 'Sure:\nabc');
    assert.equal(result.score, 0.5);
    assert.deepEqual(result.breakdown, {
      loose_instruction: 0.5,
      strict_instruction: 0,
      loose_prompt: 0,
      strict_prompt: 0,
      approximate_fraction: 0,
    });
  });

  it('lists constraints met and not met in the feedback', () => {
    const { feedback } = scoreIfbenchResponse(constraints, 'Sure:\nabc');
    assert.match(feedback, /satisfies 1 of 2 constraints/);
    assert.match(feedback, /Constraints met:\n- no whitespace at all \[format:no_whitespace\]/);
    assert.match(feedback, /Constraints not met:\n- exactly 2 numbers \[count:numbers\]/);
    assert.match(feedback, /Met only after dropping .*format:no_whitespace/);
  });

  it('accepts the task data form (instructionIdList)', () => {
    const result = scoreIfbenchResponse({ instructionIdList: ['count:numbers'], kwargs: [{ N: 1 }] }, 'only 1 number');
    assert.equal(result.score, 1);
  });

  it('rejects malformed constraints', () => {
    assert.throws(() => scoreIfbenchResponse({ instruction_id_list: ['count:numbers'], kwargs: [] }, 'x'), FapoError);
  });
});
