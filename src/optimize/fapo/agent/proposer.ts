/**
 * The agent proposer: an AI SDK v6 tool loop (any provider) that investigates train failures through
 * runtime-guarded tools and writes one scoped variant. Every model step is metered (role `proposer`)
 * before it is sent, so proposer budgets are hard caps.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, hasToolCall, type ModelMessage, stepCountIs } from 'ai';
import { createLanguageModel, type LanguageModelOptions } from '../../../models/language-model.ts';
import type { UsageMeter } from '../../../models/meter.ts';
import { meteredLanguageModel } from '../../../models/metering.ts';
import { parseModelId } from '../../../models/model-id.ts';
import { DEFAULT_PRICES, lookupPrice, type PriceTable } from '../../../models/pricing.ts';
import type { Sampling } from '../../../models/types.ts';
import { BudgetExceededError, FapoError, errorMessage } from '../../../util/errors.ts';
import type { Proposal } from '../../review/types.ts';
import type { Proposer, ProposerInput } from '../proposer.ts';
import { systemPrompt, taskBrief } from './prompt.ts';
import { createProposerTools, ToolRefusal } from './tools.ts';
import { AgentSession, type AgentRunSummary } from './transcript.ts';
import { clip } from './views.ts';

export interface AgentProposerOptions {
  /** A LanguageModelV3, or a `provider:model` id built with createLanguageModel. */
  model: LanguageModelV3 | string;
  /** Options for building the model from an id (base URL, env). */
  modelOptions?: LanguageModelOptions;
  /** `provider:model` for pricing when `model` is an object (default: the model's provider:modelId). */
  modelId?: string;
  meter?: UsageMeter;
  /** Meter role (default `proposer`). */
  role?: string;
  /** Model steps per propose() call (default 12). */
  maxSteps?: number;
  sampling?: Sampling;
  prices?: PriceTable;
  /** Output tokens reserved per step when sampling sets no maxTokens (default 4096). */
  outputTokenAllowance?: number;
  /** Provider retries per step (default 2). */
  maxRetries?: number;
  /** Time for one whole propose() call, in ms (default 600 000). */
  timeoutMs?: number;
  /** Receives the run summary after every propose(), whatever its outcome. */
  onRun?: (run: AgentRunSummary) => void;
}

export interface AgentProposer extends Proposer {
  /** The summary of the most recent propose() call. */
  readonly lastRun: AgentRunSummary | undefined;
}

/** Replies without a tool call the agent is asked to redo, per propose() call. */
const NUDGES = 2;
const NUDGE =
  'Your last reply called no tool, so nothing happened. Work through the tools: write_variant with your change, then finish; or call finish without writing if nothing sensible is left to try at this level.';

function resolveModel(options: AgentProposerOptions): { model: LanguageModelV3; id: string } {
  if (typeof options.model === 'string') {
    const spec = parseModelId(options.model, options.modelOptions);
    return { model: createLanguageModel(spec, options.modelOptions), id: spec.id };
  }
  return { model: options.model, id: options.modelId ?? `${options.model.provider}:${options.model.modelId}` };
}

export function createAgentProposer(options: AgentProposerOptions): AgentProposer {
  const { model, id } = resolveModel(options);
  const { price } = lookupPrice(id, options.prices ?? DEFAULT_PRICES);
  const maxSteps = options.maxSteps ?? 12;
  const sampling = options.sampling ?? {};
  let lastRun: AgentRunSummary | undefined;

  async function propose(input: ProposerInput): Promise<Proposal | null> {
    const session = new AgentSession(input.round, input.level, input.revision !== undefined);
    const { usage } = session.summary;
    const metered = meteredLanguageModel(model, {
      meter: options.meter,
      role: options.role ?? 'proposer',
      price,
      outputTokenAllowance: options.outputTokenAllowance ?? 4096,
      onCall: (call) => {
        usage.calls += 1;
        if (!call.ok) usage.failedCalls += 1;
        usage.inputTokens += call.usage.inputTokens;
        usage.outputTokens += call.usage.outputTokens;
        usage.costUsd += call.costUsd;
        usage.latencyMs += call.latencyMs;
      },
    });
    const tools = createProposerTools(input, session);
    let messages: ModelMessage[] = [{ role: 'user', content: taskBrief(input) }];
    try {
      for (let nudge = 0; ; nudge++) {
        const result = await generateText({
          model: metered,
          system: systemPrompt(input.level),
          messages,
          tools,
          stopWhen: [stepCountIs(maxSteps), hasToolCall('finish')],
          temperature: sampling.temperature,
          topP: sampling.topP,
          maxOutputTokens: sampling.maxTokens,
          seed: sampling.seed,
          maxRetries: options.maxRetries ?? 2,
          timeout: options.timeoutMs ?? 600_000,
          onStepFinish: (step) => {
            session.summary.steps += 1;
            // Calls the tools never ran (unknown tool, input that fails the schema) are recorded here.
            for (const part of step.content) {
              if (part.type === 'tool-error' && !(part.error instanceof ToolRefusal)) {
                session.record(part.toolName, false, clip(`invalid call: ${errorMessage(part.error)}`, 300));
              }
            }
            if (step.text.trim() !== '') session.summary.lastText = clip(step.text, 1000);
          },
        });
        // A reply without a tool call ends the loop without a decision: one bad turn is not "nothing
        // left to try" (that is `finish` without a write), so the agent is asked again.
        const endedWithoutTool = result.steps.at(-1)?.toolCalls.length === 0;
        if (session.draft || session.summary.finished || !endedWithoutTool || nudge >= NUDGES) break;
        session.record('(no tool call)', false, clip(result.text, 300));
        messages = [...messages, ...result.response.messages, { role: 'user', content: NUDGE }];
      }
      session.summary.outcome = session.draft ? 'proposal' : 'no-proposal';
      return session.draft ?? null;
    } catch (err) {
      session.summary.outcome = err instanceof BudgetExceededError ? 'budget-exceeded' : 'error';
      session.summary.error = errorMessage(err);
      if (err instanceof BudgetExceededError || err instanceof FapoError) throw err;
      throw new FapoError(
        `the proposer model ${id} failed after its retries: ${clip(errorMessage(err), 500)}`,
        'The session is stored: run the same command again (fapo optimize --resume) once the provider answers again.',
      );
    } finally {
      lastRun = session.summary;
      options.onRun?.(session.summary);
    }
  }

  return {
    name: 'agent',
    get lastRun() {
      return lastRun;
    },
    propose,
  };
}
