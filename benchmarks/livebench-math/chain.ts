import { defineChain, llm } from 'fapo';

/** GEPA's LiveBench-Math baseline: a single chain-of-thought step. */
export default defineChain({
  name: 'livebench-math-cot',
  description: 'solve (chain of thought) -> answer',
  steps: [llm('solve', { output: { fields: ['reasoning', 'answer'] } })],
  output: 'solve',
});
