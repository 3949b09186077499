import { agent, defineChain } from 'fapo';

// One tool-using step: the shop's tools (tools/shop.ts) and the policy collection as a search tool.
export default defineChain({
  name: 'support-desk',
  steps: [
    agent('support', {
      tools: ['find_customer', 'list_orders', 'get_order', 'cancel_order', 'search:policies'],
      maxSteps: '${params.max_steps}',
      maxToolCallsPerStep: 12,
    }),
  ],
});
