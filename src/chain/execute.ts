import { type LocalTools, NO_LOCAL_TOOLS } from './tools/case-tools.ts';
import type { ChainDefinition, StepContext } from './types.ts';

/** Where llm, retrieve and agent steps run (the parent process) and where code-step evidence is sent. */
export interface StepGateway {
  /** `tools` calls the workspace tools of this case, where the chain code runs. */
  hostStep(name: string, vars: Record<string, unknown>, tools: LocalTools): Promise<unknown>;
  recordCode(record: {
    name: string;
    vars: Record<string, unknown>;
    output: unknown;
    latencyMs: number;
    error?: string;
  }): void;
  /**
   * The case's tool environment: the executor gives it to workspace tools and, when the case ends,
   * leaves the final value here (for the scorer). Undefined when the task declares none.
   */
  toolState?: unknown;
}

/**
 * Runs a chain's control flow for one case. Code steps and workspace tools execute here (in the
 * sandbox child when sandboxed); llm, retrieve and agent steps go through the gateway so the parent holds keys, cache,
 * budgets and the evidence.
 */
export async function executeChain(
  def: ChainDefinition,
  input: Record<string, unknown>,
  params: Record<string, unknown>,
  gateway: StepGateway,
  tools: LocalTools = NO_LOCAL_TOOLS,
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
      output = await gateway.hostStep(name, vars, tools);
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
