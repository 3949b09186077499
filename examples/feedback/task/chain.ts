import { defineChain, llm } from 'fapo';

// One step: the first reply to a customer's message (prompts/reply.md).
export default defineChain({
  name: 'support-replies',
  steps: [llm('reply')],
});
