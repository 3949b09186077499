import type { ChainDefinition, StepContext } from './types.ts';

/** Where llm and retrieve steps run (the parent process) and where code-step evidence is sent. */
export interface StepGateway {
  hostStep(name: string, vars: Record<string, unknown>): Promise<unknown>;
  recordCode(record: {
    name: string;
    vars: Record<string, unknown>;
    output: unknown;
    latencyMs: number;
    error?: string;
  }): void;
}

/**
 * Runs a chain's control flow for one case. Code steps execute here (in the sandbox child when
 * sandboxed); llm and retrieve steps go through the gateway so the parent holds keys, cache,
 * budgets and the evidence.
 */
export async function executeChain(
  def: ChainDefinition,
  input: Record<string, unknown>,
  params: Record<string, unknown>,
  gateway: StepGateway,
): Promise<unknown> {
  const steps: StepContext['steps'] = {};
  const byName = new Map(def.steps.map((s) => [s.name, s]));
  let last: string | undefined;

  const run = async (name: string, vars: Record<string, unknown> = {}): Promise<unknown> => {
    const decl = byName.get(name);
    if (!decl) throw new Error(`flow ran unknown step "${name}" (declared: ${[...byName.keys()].join(', ')})`);
    let output: unknown;
    if (decl.kind === 'code') {
      const started = performance.now();
      try {
        output = await decl.run({ input, params, steps, vars });
      } catch (err) {
        gateway.recordCode({
          name,
          vars,
          output: undefined,
          latencyMs: performance.now() - started,
          error: String(err),
        });
        throw err;
      }
      gateway.recordCode({ name, vars, output, latencyMs: performance.now() - started });
    } else {
      output = await gateway.hostStep(name, vars);
    }
    steps[name] = { output };
    last = name;
    return output;
  };

  if (def.flow) await def.flow({ input, params, steps, run });
  else for (const s of def.steps) await run(s.name);
  const outputStep = def.output ?? last;
  return outputStep === undefined ? undefined : steps[outputStep]?.output;
}
