import { materializeChain } from './materialize.ts';
import { loadChainModule } from './load-module.ts';
import { executeChain, type StepGateway } from './execute.ts';
import { type ChainExecutor, CaseTimeoutError } from './executor.ts';
import { describeChain } from './structure.ts';
import type { ChainDefinition, ChainStructure, ChainVariant } from './types.ts';

/**
 * Runs chain code in this process. No isolation: for the user's own trusted code, library use and
 * overhead benchmarks. Optimizer-written variants run through the sandbox executor.
 */
export class InProcessExecutor implements ChainExecutor {
  readonly kind = 'in-process';
  private readonly loaded = new Map<string, Promise<ChainDefinition>>();

  constructor(private readonly taskDir: string) {}

  private load(variant: ChainVariant): Promise<ChainDefinition> {
    let def = this.loaded.get(variant.hash);
    if (!def) {
      def = loadChainModule(materializeChain(this.taskDir, variant), variant.hash);
      this.loaded.set(variant.hash, def);
    }
    return def;
  }

  async describe(variant: ChainVariant): Promise<ChainStructure> {
    return describeChain(await this.load(variant), variant.prompts);
  }

  async run(
    variant: ChainVariant,
    input: Record<string, unknown>,
    gateway: StepGateway,
    timeoutMs: number,
  ): Promise<unknown> {
    const def = await this.load(variant);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CaseTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([executeChain(def, input, variant.params, gateway), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}
