/**
 * One case × trial of an evaluation: run the chain through a CaseHost, then score the output. Shared
 * by the local runner and by queue workers (src/scale/worker.ts), so a case scores the same wherever
 * it runs.
 */
import { RetrievalCapError } from '../chain/caps.ts';
import type { ChainExecutor } from '../chain/executor.ts';
import { CaseHost, type RetrievalGuard } from '../chain/host.ts';
import type { CaseMcp, McpServers } from '../chain/tools/mcp.ts';
import type { ChainStructure, ChainVariant } from '../chain/types.ts';
import type { ModelClient, Sampling } from '../models/types.ts';
import type { Retriever } from '../retrieval/types.ts';
import { checkScore } from '../task/check-score.ts';
import type { Task } from '../task/load.ts';
import type { Case } from '../task/schema.ts';
import { BudgetExceededError, FapoError, InfraError, errorMessage } from '../util/errors.ts';
import { judgeFor } from './judge-client.ts';
import type { CaseResult } from './types.ts';

export interface CaseContext {
  task: Task;
  variant: ChainVariant;
  structure: ChainStructure;
  model: ModelClient;
  sampling: Sampling;
  executor: ChainExecutor;
  retrievers: ReadonlyMap<string, Retriever>;
  caseTimeoutMs?: number;
  retrievalGuard?: RetrievalGuard;
  role?: string;
  /** MCP servers agent steps may use. */
  mcp?: McpServers;
  /** The model judge scorers consult (role `judge`). */
  judge?: ModelClient;
}

/**
 * A stored result, or the error that stops the whole run (a budget or configuration error: such a
 * case is not stored, so a resumed run with a larger budget or fixed config does it).
 */
export type CaseOutcome = { result: CaseResult } | { fatal: BudgetExceededError | FapoError };

/**
 * The parent-side state of one case × trial: its CaseHost, its view of the MCP servers (finish() it
 * when the case ends) and a fresh copy of the tool environment.
 */
export function openCase(ctx: CaseContext, c: Case, trial: number): { host: CaseHost; mcp?: CaseMcp } {
  const mcp = ctx.mcp?.forCase();
  const host = new CaseHost(
    {
      structure: ctx.structure,
      prompts: ctx.variant.prompts,
      params: ctx.variant.params,
      model: ctx.model,
      sampling: ctx.sampling,
      retrievers: ctx.retrievers,
      trial,
      retrievalGuard: ctx.retrievalGuard,
      role: ctx.role,
      ...(mcp ? { mcp } : {}),
    },
    c.input,
  );
  if (ctx.task.tools.environment !== undefined) host.toolState = structuredClone(ctx.task.tools.environment);
  return mcp ? { host, mcp } : { host };
}

export async function runCase(ctx: CaseContext, c: Case, trial: number): Promise<CaseOutcome> {
  const { host, mcp } = openCase(ctx, c, trial);
  const started = performance.now();
  const result: CaseResult = {
    caseId: c.id,
    trial,
    status: 'ok',
    output: null,
    score: null,
    steps: host.records,
    diagnostics: host.diagnostics,
    latencyMs: 0,
  };
  let fatal: BudgetExceededError | FapoError | undefined;
  try {
    result.output = await ctx.executor.run(ctx.variant, c.input, host, ctx.caseTimeoutMs ?? 300_000);
  } catch (err) {
    if (err instanceof BudgetExceededError || isConfigError(err)) fatal = err as BudgetExceededError | FapoError;
    else {
      result.status = err instanceof InfraError ? 'infra_error' : 'task_error';
      result.error = errorMessage(err);
    }
  }
  // Read the case's MCP server states, and stop its own servers, whatever happened.
  const serverStates = (await mcp?.finish()) ?? {};
  if (fatal) return { fatal };
  if (result.status === 'ok') {
    try {
      const scored = checkScore(
        await ctx.task.scorer({
          case: c,
          output: result.output,
          steps: host.records,
          ...(host.toolState !== undefined ? { finalState: host.toolState } : {}),
          ...(Object.keys(serverStates).length ? { serverStates } : {}),
          judge: judgeFor(ctx.judge),
        }),
      );
      result.score = scored.score;
      if (scored.breakdown) result.breakdown = scored.breakdown;
      if (scored.feedback) result.feedback = scored.feedback;
    } catch (err) {
      // A judge that is missing, over budget or down says nothing about the output: stop the run, or
      // keep the case as an infra error for the resume to redo, rather than score it.
      if (err instanceof BudgetExceededError || isConfigError(err))
        return { fatal: err as BudgetExceededError | FapoError };
      result.status = err instanceof InfraError ? 'infra_error' : 'scorer_error';
      result.error = `case "${c.id}" (trial ${trial}): ${errorMessage(err)}`;
    }
  }
  result.latencyMs = performance.now() - started;
  return { result };
}

/**
 * A configuration problem (bad key, unknown model) fails every case the same way: stop the run
 * with the message instead of recording N identical task errors. Errors raised by the chain code
 * itself (a retrieval over the caps, a bad template) stay per-case task errors.
 */
function isConfigError(err: unknown): boolean {
  return err instanceof FapoError && !(err instanceof RetrievalCapError);
}
