import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrainCopy } from '../../../src/optimize/review/train-copy.ts';
import { ANSWER_PROMPT, promptProposal, structureProposal, trainOracle } from './fixtures.ts';

test('a train example copied into a prompt as a few-shot demonstration is blocked', () => {
  const fewShot = `${ANSWER_PROMPT}\n\nExample:\nClaim: Marie Curie won Nobel Prizes in both physics and chemistry during her career.\nAnswer: SUPPORTED`;
  const r = checkTrainCopy(promptProposal({ prompts: { answer: fewShot } }), trainOracle());
  assert.equal(r.verdict, 'block');
  assert.match(r.reasons[0]!, /prompt 'answer' contains the input of train case t2 \(input.claim\).*synthetic/);
});

test('a copied train input together with its answer is named as such', () => {
  const fewShot = `${ANSWER_PROMPT}\nQ: Which river flows through the city where the Treaty of Westphalia was signed\nA: the Ems and the Aa rivers`;
  const r = checkTrainCopy(promptProposal({ prompts: { answer: fewShot } }), trainOracle());
  assert.equal(r.verdict, 'block');
  assert.match(r.reasons[0]!, /train case t3 .* together with its expected answer/);
});

test('train answers on their own and synthetic examples pass', () => {
  // ANSWER_PROMPT already says NOT_SUPPORTED, which is t1's answer: vocabulary, not a copy.
  const synthetic = `${ANSWER_PROMPT}\n\nExample:\nClaim: The Zorblat Bridge opened three years before the Qentar Fair.\nAnswer: NOT_SUPPORTED`;
  assert.equal(checkTrainCopy(promptProposal({ prompts: { answer: synthetic } }), trainOracle()).verdict, 'pass');
  assert.equal(checkTrainCopy(structureProposal(), trainOracle()).verdict, 'pass');
});
