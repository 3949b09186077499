import { defineChain, llm } from 'fapo';

/** One structured-output step: the ticket's queue as `{ "queue": ... }`. */
export default defineChain({
  name: 'ticket-triage',
  steps: [
    llm('classify', {
      output: {
        json: {
          type: 'object',
          properties: { queue: { type: 'string', enum: ['billing', 'shipping', 'technical', 'account'] } },
          required: ['queue'],
          additionalProperties: false,
        },
      },
    }),
  ],
  output: 'classify',
});
