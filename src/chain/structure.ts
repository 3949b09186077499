import { templateReferences } from './template.ts';
import type { ChainDefinition, ChainStructure, ToolInfo } from './types.ts';

/** The chain as data: steps, kinds, the prompts and params each uses, declaration order. */
export function describeChain(
  def: ChainDefinition,
  prompts: Record<string, string>,
  tools: ToolInfo[] = [],
): ChainStructure {
  return {
    name: def.name,
    ...(tools.length ? { tools } : {}),
    customFlow: typeof def.flow === 'function',
    output: def.output,
    steps: def.steps.map((s) => {
      switch (s.kind) {
        case 'llm': {
          const prompt = s.prompt ?? s.name;
          return {
            name: s.name,
            kind: s.kind,
            prompt,
            output: s.output ?? 'text',
            references: templateReferences(prompts[prompt] ?? ''),
          };
        }
        case 'retrieve':
          return {
            name: s.name,
            kind: s.kind,
            resource: s.resource,
            query: s.query,
            k: s.k,
            references: templateReferences(`${s.query} ${typeof s.k === 'string' ? s.k : ''}`),
          };
        case 'code':
          return { name: s.name, kind: s.kind, references: [] };
        case 'agent': {
          const prompt = s.prompt ?? s.name;
          const templated = [s.tools, s.maxSteps, s.maxToolCallsPerStep].filter((v) => typeof v === 'string');
          return {
            name: s.name,
            kind: s.kind,
            prompt,
            output: s.output ?? 'text',
            tools: s.tools,
            ...(s.maxSteps !== undefined ? { maxSteps: s.maxSteps } : {}),
            ...(s.maxToolCallsPerStep !== undefined ? { maxToolCallsPerStep: s.maxToolCallsPerStep } : {}),
            ...(s.toolTimeoutMs !== undefined ? { toolTimeoutMs: s.toolTimeoutMs } : {}),
            references: templateReferences(`${prompts[prompt] ?? ''} ${templated.join(' ')}`),
          };
        }
        default: {
          const unknown: never = s;
          throw new Error(`unknown step kind in ${JSON.stringify(unknown)}`);
        }
      }
    }),
  };
}
