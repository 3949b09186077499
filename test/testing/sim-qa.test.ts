import assert from 'node:assert/strict';
import { it } from 'node:test';
import { simQa } from '../../src/testing/sim-qa.ts';

const facts =
  'The Red Lantern is a novel written by Mara Voss. Mara Voss was born in Oslton. Oslton is a city in Norvia.';
const call = (system: string, user: string, temperature = 0) =>
  simQa({
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    sampling: { temperature },
  });

it('sim:qa follows the facts in its prompt and reacts to the instructions the demo relies on', () => {
  const q = 'Question: In which country was the author of The Red Lantern born?';
  assert.equal(
    call('Write a search query for what is missing.', `${q}\nKnown: The Red Lantern is a novel written by Mara Voss.`),
    'Mara Voss',
  );
  assert.equal(call('Summarize the passages.', `${q}\n[1] «x | ${facts} Filler text.»`), facts);
  const brief = call('Answer. Respond with only the short answer.', `${q}\nNotes: ${facts}`);
  assert.equal(brief, 'Norvia');
  assert.match(call('Answer the question.', `${q}\nNotes: ${facts}`), /Norvia/);
  const partial = 'The Red Lantern is a novel written by Mara Voss.';
  assert.match(call('Answer the question.', `${q}\nNotes: ${partial}`), /cannot determine/);
  assert.doesNotMatch(
    call('Answer. Always give your best guess.', `${q}\nNotes: ${partial} The capital of Urfia is Gorlor.`),
    /cannot determine/,
  );
});

it('sim:qa is deterministic, and only varies with temperature through its seeded noise', () => {
  const a = call('Summarize.', `Q\n${facts}`, 1);
  assert.equal(call('Summarize.', `Q\n${facts}`, 1), a);
  assert.equal(call('Summarize.', `Q\n${facts}`, 0), facts);
});
