import { defineChain, llm, retrieve } from 'fapo';

/**
 * retrieve → summarize → (query → retrieve → summarize) × (hops − 1) → answer.
 * The running summary is passed to each step as `${vars.summary}`.
 */
export default defineChain({
  name: 'multi-hop-qa',
  steps: [
    retrieve('retrieve', { resource: 'wiki', query: '${vars.query}', k: '${params.k}' }),
    llm('summarize'),
    llm('query'),
    llm('answer'),
  ],
  flow: async ({ input, params, run }) => {
    let query = String(input.question);
    let summary = '';
    for (let hop = 1; hop <= Number(params.hops); hop++) {
      if (hop > 1) query = String(await run('query', { hop, summary }));
      await run('retrieve', { hop, query });
      summary = String(await run('summarize', { hop, summary }));
    }
    return run('answer', { summary });
  },
  output: 'answer',
});
