import { defineChain, llm } from 'fapo';

/** GEPA's AIME baseline: a single chain-of-thought step. */
export default defineChain({
  name: 'aime-cot',
  description: 'solve (chain of thought) -> answer',
  steps: [llm('solve', { output: { fields: ['reasoning', 'answer'] } })],
  output: 'solve',
});
