/**
 * A coding agent as FAPO's proposer. The runtime keeps every guardrail: the agent's only tools are
 * the proposer tools over MCP (train cases only, readable files only, scoped writes), its model
 * calls pass through fapo's metering proxy (hard budgets, the real key never in its process), it
 * runs in an empty scratch directory outside the workspace under a turn cap and a wall-time limit,
 * and its transcript is stored with the round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageMeter } from '../../../models/meter.ts';
import { parseModelId, resolveApiKey } from '../../../models/model-id.ts';
import { DEFAULT_PRICES, lookupPrice, type PriceTable } from '../../../models/pricing.ts';
import { BudgetExceededError, errorMessage, FapoError } from '../../../util/errors.ts';
import type { Proposal } from '../../review/types.ts';
import { systemPrompt, taskBrief } from '../agent/prompt.ts';
import { createProposerTools } from '../agent/tools.ts';
import { AgentSession, type AgentRunSummary } from '../agent/transcript.ts';
import { createProposerMcpServer } from '../mcp/bridge.ts';
import type { Proposer, ProposerInput } from '../proposer.ts';
import type { CodingAgentBackend, TranscriptEntry } from './backend.ts';
import { claudeCodeBackend } from './claude-code.ts';
import { codexBackend } from './codex.ts';
import { startMeteringProxy } from './metering-proxy.ts';

export const CODING_AGENT_BACKENDS = { 'claude-code': claudeCodeBackend, codex: codexBackend } as const;
export type CodingAgentName = keyof typeof CODING_AGENT_BACKENDS;

/** The provider each backend's wire protocol needs in `--optimizer-model`. */
const PROVIDER_OF: Record<CodingAgentBackend['protocol'], string> = { anthropic: 'anthropic', openai: 'openai' };
const DEFAULT_UPSTREAM: Record<CodingAgentBackend['protocol'], string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
};
/** Variables the agent process keeps from fapo's environment: enough to run, never a credential. */
const PASSED_ENV = ['PATH', 'LANG', 'TZ', 'TMPDIR'];

export interface CodingAgentProposerOptions {
  backend: CodingAgentName | CodingAgentBackend;
  /** `anthropic:<model>` for claude-code, `openai:<model>` for codex. */
  model: string;
  meter?: UsageMeter;
  role?: string;
  prices?: PriceTable;
  /** Agent turns per proposal (default 24: coding agents spend turns on tool calls). */
  maxTurns?: number;
  /** Wall time of one proposal, in ms (default 600 000). */
  timeoutMs?: number;
  /** Output tokens reserved per model call that names no maximum (default 32 000). */
  outputTokenAllowance?: number;
  env?: Readonly<Record<string, string | undefined>>;
  onRun?: (run: AgentRunSummary & { transcript: TranscriptEntry[] }) => void;
}

export function createCodingAgentProposer(options: CodingAgentProposerOptions): Proposer {
  const backend = typeof options.backend === 'string' ? CODING_AGENT_BACKENDS[options.backend] : options.backend;
  const env = options.env ?? process.env;
  const spec = parseModelId(options.model, { env });
  if (spec.provider !== PROVIDER_OF[backend.protocol]) {
    throw new FapoError(
      `--proposer ${backend.name} speaks the ${backend.protocol} API, but the optimizer model is ${spec.id}.`,
      `Pass --optimizer-model ${PROVIDER_OF[backend.protocol]}:<model> (its base URL and key come from the usual environment variables).`,
    );
  }
  const apiKey = resolveApiKey(spec, env);
  const { price } = lookupPrice(spec.id, options.prices ?? DEFAULT_PRICES);

  async function propose(input: ProposerInput): Promise<Proposal | null> {
    const session = new AgentSession(input.round, input.level, input.revision !== undefined);
    const proxy = await startMeteringProxy({
      protocol: backend.protocol,
      upstream: spec.baseURL ?? DEFAULT_UPSTREAM[backend.protocol],
      apiKey,
      meter: options.meter,
      role: options.role ?? 'proposer',
      price,
      outputTokenAllowance: options.outputTokenAllowance ?? 32_000,
    });
    const workDir = mkdtempSync(join(tmpdir(), `fapo-${backend.name}-`));
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 600_000);
    let transcript: TranscriptEntry[] = [];
    try {
      const outcome = await backend.run({
        system: systemPrompt(input.level),
        brief: taskBrief(input),
        model: spec.model,
        tools: createProposerMcpServer(createProposerTools(input, session)),
        endpoint: { url: proxy.url, token: proxy.token },
        workDir,
        maxTurns: options.maxTurns ?? 24,
        signal: timeout,
        baseEnv: Object.fromEntries(PASSED_ENV.flatMap((k) => (env[k] ? [[k, env[k]!]] : []))),
      });
      transcript = outcome.transcript;
      session.summary.steps = outcome.turns;
      if (outcome.stopReason) session.summary.lastText = `stopped: ${outcome.stopReason}`;
      if (proxy.budgetError) throw proxy.budgetError;
      session.summary.outcome = session.draft ? 'proposal' : 'no-proposal';
      return session.draft ?? null;
    } catch (err) {
      const budget = proxy.budgetError ?? (err instanceof BudgetExceededError ? err : undefined);
      session.summary.outcome = budget ? 'budget-exceeded' : 'error';
      session.summary.error = timeout.aborted ? 'the wall-time limit of the proposal ran out' : errorMessage(err);
      if (budget) throw budget;
      throw err;
    } finally {
      await proxy.close();
      rmSync(workDir, { recursive: true, force: true });
      const { usage } = session.summary;
      for (const call of proxy.calls) {
        usage.calls += 1;
        if (call.status >= 400) usage.failedCalls += 1;
        usage.inputTokens += call.usage.inputTokens;
        usage.outputTokens += call.usage.outputTokens;
        usage.costUsd += call.costUsd;
        usage.latencyMs += call.latencyMs;
      }
      options.onRun?.({ ...session.summary, transcript });
    }
  }

  return { name: backend.name, propose };
}
