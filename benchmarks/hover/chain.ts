import { code, defineChain, llm, retrieve } from 'fapo';

/**
 * GEPA's HoverMultiHop baseline: three retrieval hops (7, 7, 10 passages); the output is every
 * retrieved passage (at most 24), which the metric checks for the gold supporting documents.
 */
export default defineChain({
  name: 'hover-multihop',
  description:
    'retrieve (k=7) -> summarize 1 -> query 2 -> retrieve (k=7) -> summarize 2 -> query 3 -> retrieve (k=10)',
  steps: [
    retrieve('retrieve_hop1', { resource: 'wiki', query: '${input.claim}', k: '${params.k_hop1}' }),
    llm('summarize_hop1', { output: { fields: ['reasoning', 'summary'] } }),
    llm('query_hop2', { output: { fields: ['reasoning', 'query'] } }),
    retrieve('retrieve_hop2', { resource: 'wiki', query: '${steps.query_hop2.output.query}', k: '${params.k_hop2}' }),
    llm('summarize_hop2', { output: { fields: ['reasoning', 'summary'] } }),
    llm('query_hop3', { output: { fields: ['reasoning', 'query'] } }),
    retrieve('retrieve_hop3', { resource: 'wiki', query: '${steps.query_hop3.output.query}', k: '${params.k_hop3}' }),
    code('combine_retrievals', ({ steps }) =>
      ['retrieve_hop1', 'retrieve_hop2', 'retrieve_hop3']
        .flatMap((s) => (steps[s]?.output as { title: string }[] | undefined) ?? [])
        .map((p) => p.title),
    ),
  ],
  output: 'combine_retrievals',
});
