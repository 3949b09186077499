import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGepaStrategy } from '../../../src/optimize/gepa/index.ts';
import { simReflect } from '../../../src/testing/index.ts';
import { extractInstruction, reflectionPrompt } from '../../../src/optimize/gepa/reflection.ts';

test('createGepaStrategy validates its options up front and names itself', () => {
  assert.equal(createGepaStrategy({ maxMetricCalls: 500 }).name, 'gepa');
  assert.equal(createGepaStrategy({ budget: 'pupa', useMerge: true }).name, 'gepa');
  assert.throws(() => createGepaStrategy({}), /a budget is required/);
  assert.throws(() => createGepaStrategy({ maxMetricCalls: 10, componentSelector: 'bandit' }), /componentSelector/);
});

test('sim:reflect (a scripted stand-in) adds a rule chosen from the feedback to the System line, keeping placeholders', () => {
  const template =
    'System: Answer the question using the notes.\nUser: Question: ${input.question}\nNotes: ${vars.summary}';
  const record = (feedback: string) => ({ Inputs: { q: 'x' }, 'Generated Outputs': 'y', Feedback: feedback });
  const call = (feedback: string, current = template) =>
    extractInstruction(
      simReflect({
        messages: [{ role: 'user', content: reflectionPrompt(current, [record(feedback)]) }],
        sampling: {},
      }),
    );
  const brief = call('Expected "Lorgor", got "Based on the passages, the answer is Lorgor.".');
  assert.equal(
    brief.split('\n')[0],
    'System: Answer the question using the notes. Reply with only the short answer, no explanation.',
  );
  assert.ok(brief.includes('${input.question}') && brief.includes('${vars.summary}'));
  assert.match(
    call('Expected "Darfe", got "I cannot determine the answer from the passages.".'),
    /always give your best guess/,
  );
  // A rule already present is not added twice; the next applicable note is used instead.
  assert.match(call('Expected "X", got "Based on it, X".', brief), /Answers are short names, such as "X"/);
});
