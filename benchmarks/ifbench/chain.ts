import { defineChain, llm } from 'fapo';

/** GEPA's two-stage IFBench program: a chain-of-thought answer, then a chain-of-thought rewrite that enforces the constraints. */
export default defineChain({
  name: 'ifbench-two-stage',
  description: 'generate_response -> ensure_correct_response',
  steps: [
    llm('generate_response', { output: { fields: ['reasoning', 'response'] } }),
    llm('ensure_correct_response', { output: { fields: ['reasoning', 'final_response'] } }),
  ],
  output: 'ensure_correct_response',
});
