import { defineChain, llm } from 'fapo';

/**
 * PAPILLON: the trusted model writes a redacted request, the untrusted model answers it, and the trusted
 * model responds to the user. The untrusted call is the same task model (as in FAPO's study); the scorer
 * measures leakage on the messages the `untrusted_llm` step actually sent.
 */
export default defineChain({
  name: 'pupa-papillon',
  description: 'craft_redacted_request -> untrusted_llm -> respond_to_query',
  steps: [
    llm('craft_redacted_request', { output: { fields: ['reasoning', 'llm_request'] } }),
    llm('untrusted_llm'),
    llm('respond_to_query', { output: { fields: ['response'] } }),
  ],
  output: 'respond_to_query',
});
