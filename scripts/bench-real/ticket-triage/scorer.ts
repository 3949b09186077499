import { defineScorer } from 'fapo';

/** Exact queue; a reply without a parsed object (cut off or off-schema) scores 0. */
export default defineScorer(({ case: c, output }) => {
  const queue = (output as { queue?: unknown } | undefined)?.queue;
  const correct = queue === c.expected ? 1 : 0;
  return {
    score: correct,
    breakdown: { correct },
    feedback: correct ? 'Correct.' : `Expected queue "${c.expected}", got ${JSON.stringify(queue ?? output ?? null)}.`,
  };
});
