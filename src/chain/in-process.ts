import { join } from 'node:path';
import { FapoError, errorMessage } from '../util/errors.ts';
import { materializeChain } from './materialize.ts';
import { importTaskModule, loadChainModule } from './load-module.ts';
import { CaseTools, toolInfos, toolsFromModules } from './tools/case-tools.ts';
import type { WorkspaceTool } from './tools/define.ts';
import { workspaceToolFiles } from './tools/discover.ts';
import { executeChain, type StepGateway } from './execute.ts';
import { type ChainExecutor, withCaseTimeout } from './executor.ts';
import { describeChain } from './structure.ts';
import type { ChainDefinition, ChainStructure, ChainVariant } from './types.ts';

/**
 * Runs chain code in this process. No isolation: for the user's own trusted code, library use and
 * overhead benchmarks. Optimizer-written variants run through the sandbox executor.
 */
export class InProcessExecutor implements ChainExecutor {
  readonly kind = 'in-process';
  private readonly loaded = new Map<string, Promise<ChainDefinition>>();
  private tools: Promise<Map<string, WorkspaceTool>> | undefined;

  constructor(private readonly taskDir: string) {}

  /** The workspace's tools (`tools/*.ts`), loaded once. */
  private workspaceTools(): Promise<Map<string, WorkspaceTool>> {
    this.tools ??= Promise.all(
      workspaceToolFiles(this.taskDir).map(async (path) => {
        const abs = join(this.taskDir, path);
        try {
          return { path: abs, mod: await importTaskModule(abs) };
        } catch (err) {
          throw new FapoError(`${abs}: the tool module does not load: ${errorMessage(err)}`);
        }
      }),
    ).then((modules) => {
      try {
        return toolsFromModules(modules);
      } catch (err) {
        throw new FapoError(errorMessage(err));
      }
    });
    return this.tools;
  }

  private load(variant: ChainVariant): Promise<ChainDefinition> {
    let def = this.loaded.get(variant.hash);
    if (!def) {
      def = loadChainModule(materializeChain(this.taskDir, variant), variant.hash);
      this.loaded.set(variant.hash, def);
    }
    return def;
  }

  async describe(variant: ChainVariant): Promise<ChainStructure> {
    return describeChain(await this.load(variant), variant.prompts, toolInfos(await this.workspaceTools()));
  }

  async run(
    variant: ChainVariant,
    input: Record<string, unknown>,
    gateway: StepGateway,
    timeoutMs: number,
  ): Promise<unknown> {
    const def = await this.load(variant);
    const tools = new CaseTools(await this.workspaceTools(), gateway.toolState);
    return withCaseTimeout(executeChain(def, input, variant.params, gateway, tools), timeoutMs);
  }

  async close(): Promise<void> {}
}
