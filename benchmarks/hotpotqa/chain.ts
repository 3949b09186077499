import { defineChain, llm, retrieve } from 'fapo';

/**
 * GEPA's HotpotMultiHop baseline: HoVer's program with the third hop replaced by an answer module.
 * Every llm step is a DSPy-style chain of thought (`reasoning` then the output field).
 */
export default defineChain({
  name: 'hotpotqa-multihop',
  description: 'retrieve (k=7) -> summarize 1 -> query 2 -> retrieve (k=7) -> summarize 2 -> answer',
  steps: [
    retrieve('retrieve_hop1', { resource: 'wiki', query: '${input.question}', k: '${params.k_hop1}' }),
    llm('summarize_hop1', { output: { fields: ['reasoning', 'summary'] } }),
    llm('query_hop2', { output: { fields: ['reasoning', 'query'] } }),
    retrieve('retrieve_hop2', { resource: 'wiki', query: '${steps.query_hop2.output.query}', k: '${params.k_hop2}' }),
    llm('summarize_hop2', { output: { fields: ['reasoning', 'summary'] } }),
    llm('answer', { output: { fields: ['reasoning', 'answer'] } }),
  ],
  output: 'answer',
});
