import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  extractInstruction,
  reflectionPrompt,
  reflectiveDataset,
  renderRecords,
  repairPlaceholders,
  type MinibatchCase,
} from '../../../src/optimize/gepa/reflection.ts';
import { rngFor } from '../../../src/optimize/gepa/rng.ts';

test('the new instruction is the text between the first and the last fence, language tag dropped', () => {
  assert.equal(extractInstruction('Sure:\n```markdown\nDo X.\n```\nand ```more``` text'), 'Do X.\n```\nand ```more');
  assert.equal(extractInstruction('```\nOnly this.\n```'), 'Only this.');
  assert.equal(extractInstruction('Here:\n```text\nUnclosed fence keeps the rest'), 'Unclosed fence keeps the rest');
  assert.equal(extractInstruction('  No fence at all.  '), 'No fence at all.');
});

test('placeholders the reflection dropped are re-appended and reported; kept ones are untouched', () => {
  const old = 'System: Answer.\nUser: Q: ${input.question}\nNotes: ${vars.summary}';
  const kept = repairPlaceholders(old, 'System: Answer briefly.\nUser: ${input.question} ${vars.summary}');
  assert.deepEqual(kept.restored, []);
  const fixed = repairPlaceholders(old, 'System: Answer briefly.\nUser: ${input.question}');
  assert.deepEqual(fixed.restored, ['vars.summary']);
  assert.match(fixed.text, /summary: \$\{vars\.summary\}$/);
});

const cases: MinibatchCase[] = [
  {
    caseId: 'c1',
    score: 0,
    feedback: 'Expected "Paris".',
    steps: [
      { step: 'answer', inputs: { 'input.q': 'Capital?' }, output: 'Lyon' },
      { step: 'answer', inputs: { 'input.q': 'retry' }, output: '{bad', rawText: '{bad', error: 'not JSON' },
      { step: 'query', inputs: {}, output: 'x' },
    ],
  },
  { caseId: 'c2', score: 0.5, steps: [{ step: 'answer', inputs: { 'input.q': ['a', 'b'] }, output: 'B' }] },
  { caseId: 'c3', score: 1, steps: [{ step: 'query', inputs: {}, output: 'y' }] },
];

test('the reflective dataset takes one execution per case of the component’s steps, preferring a failed parse; no feedback → the score', () => {
  const records = reflectiveDataset(cases, new Set(['answer']), rngFor(0, 'ds'));
  assert.equal(records.length, 2, 'c3 never ran the answer step');
  assert.match(records[0]!['Generated Outputs'], /Couldn't parse/);
  assert.equal(records[0]!.Inputs['input.q'], 'retry');
  assert.equal(records[0]!.Feedback, 'Expected "Paris".');
  assert.equal(records[1]!.Inputs['input.q'], 'a\nb');
  assert.equal(records[1]!.Feedback, 'This trajectory got a score of 0.5.');
});

test('the reflection prompt fences the current instruction and the rendered examples and asks for backticks', () => {
  const records = reflectiveDataset(cases, new Set(['answer']), rngFor(0, 'ds'));
  const rendered = renderRecords(records);
  assert.match(rendered, /^# Example 1\n## Inputs\n### input\.q\nretry\n+## Generated Outputs\n/);
  assert.match(rendered, /# Example 2/);
  const prompt = reflectionPrompt('System: Answer.', records);
  const fenced = prompt.split('```');
  assert.equal(fenced[1]!.trim(), 'System: Answer.');
  assert.equal(fenced[3]!.trim(), rendered.trim());
  assert.match(prompt, /domain-specific facts/);
  assert.match(prompt, /between triple backticks/);
});
