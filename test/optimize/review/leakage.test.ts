import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLeakageOracle } from '../../../src/optimize/review/leakage-oracle.ts';
import { checkLeakage } from '../../../src/optimize/review/leakage.ts';
import {
  ANSWER_PROMPT,
  chainWith,
  heldOutOracle,
  PARENT,
  paramProposal,
  promptProposal,
  structureProposal,
  TEST_CASES,
  VAL_CASES,
} from './fixtures.ts';

test('the oracle finds distinctive answers and question shingles despite case and punctuation', () => {
  const oracle = heldOutOracle();
  assert.deepEqual(oracle.findLeaks('the answer is GIUSEPPE VERDI, of Busseto!'), [
    { split: 'val', caseId: 'v1', field: 'expected' },
  ]);
  const question = 'note: which composer wrote the opera that premiered at la fenice';
  assert.deepEqual(oracle.findLeaks(question), [{ split: 'val', caseId: 'v1', field: 'input.question' }]);
  assert.deepEqual(oracle.findLeaks('Giu\u200bseppe Verdí of Bus\u00adseto'), [
    { split: 'val', caseId: 'v1', field: 'expected' },
  ]);
});

test('the oracle ignores short answers (yes/no, numbers, years) below the explicit thresholds', () => {
  const oracle = heldOutOracle();
  assert.deepEqual(oracle.findLeaks('Answer no. There are 95 moons. It was 1859.'), []);
  // Lower the thresholds explicitly and the same text is a hit.
  const strict = createLeakageOracle({ test: TEST_CASES }, { minAnswerTokens: 1, minAnswerChars: 1 });
  assert.deepEqual(strict.findLeaks('It was 1859.'), [{ split: 'test', caseId: 'x2', field: 'expected' }]);
});

test('boilerplate shared by many cases is not distinctive', () => {
  const many = Array.from({ length: 10 }, (_, i) => ({
    id: `c${i}`,
    input: { q: `Read the passage carefully and then answer the question number ${i}` },
    expected: 'not enough information',
    metadata: {},
  }));
  const oracle = createLeakageOracle({ val: many });
  assert.deepEqual(
    oracle.findLeaks(
      'Read the passage carefully and then answer the question. Say "not enough information" if unsure.',
    ),
    [],
  );
  assert.equal(oracle.findLeaks('carefully and then answer the question number 7').length, 1);
});

test('the oracle does not expose the cases it was built from', () => {
  const oracle = heldOutOracle();
  const dump = JSON.stringify(oracle) + Object.keys(oracle).join() + String(Object.getOwnPropertyNames(oracle));
  for (const c of [...VAL_CASES, ...TEST_CASES]) {
    assert.ok(!dump.includes(String(c.expected)) && !dump.includes(String(c.input.question)), dump);
  }
});

test('a validation answer put into a prompt is blocked', () => {
  const r = checkLeakage(
    promptProposal({ prompts: { answer: `${ANSWER_PROMPT}\nExample: the composer is Giuseppe Verdi of Busseto.` } }),
    heldOutOracle(),
  );
  assert.equal(r.verdict, 'block');
  assert.match(r.reasons[0]!, /prompt 'answer' contains the answer of val case v1/);
});

test('a test question put into chain source is blocked', () => {
  const source = chainWith(
    "name: 'verify-multihop',",
    "name: 'verify-multihop',\n  // who designed the bridge that connects the two halves of the city of Budapest",
  );
  const r = checkLeakage(structureProposal({ chainSource: source }), heldOutOracle());
  assert.equal(r.verdict, 'block');
  assert.match(r.reasons.join(' | '), /chain source contains the input of test case x1 \(input.question\)/);
});

test('a held-out answer smuggled through params is blocked', () => {
  const r = checkLeakage(paramProposal({ params: { k: 7, hint: 'William Tierney Clark' } }), heldOutOracle());
  assert.equal(r.verdict, 'block');
  assert.match(r.reasons.join(), /param 'hint' contains the answer of test case x1/);
});

test('leaks already present in the parent warn instead of blocking, and clean proposals pass', () => {
  const leakyParent = { ...PARENT, prompts: { answer: `${ANSWER_PROMPT}\n(e.g. William Tierney Clark)` } };
  const r = checkLeakage(
    promptProposal({ parent: leakyParent, prompts: { answer: `${leakyParent.prompts.answer}\nBe brief.` } }),
    heldOutOracle(),
  );
  assert.equal(r.verdict, 'warn');
  assert.match(r.reasons[0]!, /inherited from the parent/);
  for (const p of [promptProposal(), paramProposal(), structureProposal()])
    assert.equal(checkLeakage(p, heldOutOracle()).verdict, 'pass');
});
