/**
 * Reading agent steps' tool traces (StepRecord.agent, docs/agent-steps.md) for the agent rules and the analyst:
 * which agent steps ran, which calls failed or repeated, what a case expected the agent to do.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AgentRecord, ChainStructure, StepRecord, ToolCallRecord } from '../chain/types.ts';
import type { Case } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import { compactText, truncate } from './text.ts';

export interface AgentStep {
  record: StepRecord;
  agent: AgentRecord;
}

/** The agent steps of a trial, in execution order. */
export function agentSteps(records: StepRecord[]): AgentStep[] {
  return records.flatMap((record) =>
    record.kind === 'agent' && record.agent ? [{ record, agent: record.agent }] : [],
  );
}

/** An action the case expects an agent to take: a tool, and optionally arguments a call must carry. */
export interface ExpectedAction {
  tool: string;
  /** Every key here must equal the call's argument of that key; other call arguments are free. */
  args?: Record<string, unknown>;
}

/** `metadata[key]` shapes: tool names, or tau-bench-style `{name, kwargs}` / `{tool, arguments}` objects. */
const ActionSchema = z.union([
  z
    .string()
    .min(1)
    .transform((tool): ExpectedAction => ({ tool })),
  z
    .object({
      name: z.string().min(1).optional(),
      tool: z.string().min(1).optional(),
      kwargs: z.record(z.string(), z.unknown()).optional(),
      arguments: z.record(z.string(), z.unknown()).optional(),
      args: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((a) => (a.name ?? a.tool) !== undefined, 'an action needs `name` or `tool`')
    .transform((a): ExpectedAction => {
      const args = a.kwargs ?? a.arguments ?? a.args;
      return { tool: (a.name ?? a.tool)!, ...(args ? { args } : {}) };
    }),
]);

export const DEFAULT_EXPECTED_ACTIONS_KEY = 'expected_actions';

/** The case's expected tool actions; absent → []. A malformed list is the task's error, named by case. */
export function expectedActions(testCase: Case, key = DEFAULT_EXPECTED_ACTIONS_KEY): ExpectedAction[] {
  const raw = testCase.metadata[key];
  if (raw === undefined || raw === null) return [];
  const parsed = z.array(ActionSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FapoError(
      `case ${testCase.id}: metadata.${key}[${issue?.path.join('.') ?? ''}] is not an expected action: ${issue?.message ?? 'invalid'}`,
      'use a list of tool names or {name, kwargs} objects (tau-bench style)',
    );
  }
  return parsed.data;
}

function sameValue(expected: unknown, actual: unknown): boolean {
  // Models write numbers as strings and back; the scorer compares meaning, so do the rules.
  return isDeepStrictEqual(expected, actual) || compactText(expected) === compactText(actual);
}

/** The argument keys on which a call differs from an expected action ([] = the call matches). */
export function argumentMismatches(action: ExpectedAction, call: ToolCallRecord): string[] {
  if (!action.args) return [];
  const args = call.args !== null && typeof call.args === 'object' ? (call.args as Record<string, unknown>) : {};
  return Object.keys(action.args).filter((key) => !sameValue(action.args![key], args[key]));
}

/** A call that failed and was never followed, in the same step, by a successful call of the same tool. */
export function unrecoveredErrors(agent: AgentRecord): ToolCallRecord[] {
  return agent.toolCalls.filter(
    (call, index) =>
      call.error !== undefined &&
      !agent.toolCalls.slice(index + 1).some((later) => later.tool === call.tool && later.error === undefined),
  );
}

/** Calls that repeat an earlier call of the same tool with the same arguments. */
export function repeatedCalls(agent: AgentRecord): ToolCallRecord[] {
  const seen = new Set<string>();
  return agent.toolCalls.filter((call) => {
    const key = `${call.tool}\u0000${compactText(call.args)}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
}

/** The `${params.X}` an agent step's maxSteps or tool subset is bound to, if any. */
export function agentParam(chain: ChainStructure, step: string, field: 'maxSteps' | 'tools'): string | undefined {
  const declared = chain.steps.find((s) => s.name === step && s.kind === 'agent')?.[field];
  return typeof declared === 'string' ? /\$\{\s*params\.([\w-]+)\s*\}/.exec(declared)?.[1] : undefined;
}

export interface TraceLimits {
  calls: number;
  args: number;
  result: number;
}

/** One line per tool call: `t2 get_order({"id":"7"}) → {...}` or `✗ invalid_args: …`. */
export function describeCall(call: ToolCallRecord, limits: Pick<TraceLimits, 'args' | 'result'>): string {
  const head = `t${call.turn} ${call.tool}(${truncate(compactText(call.args), limits.args)})`;
  return call.error
    ? `${head} ✗ ${call.error.kind}: ${truncate(call.error.message, limits.result)}`
    : `${head} → ${truncate(compactText(call.result), limits.result)}`;
}

/** The compact tool trace of an agent step, at most `limits.calls` calls (the rest counted). */
export function compactTrace(agent: AgentRecord, limits: TraceLimits): string[] {
  const shown = agent.toolCalls.slice(0, limits.calls).map((call) => describeCall(call, limits));
  const rest = agent.toolCalls.length - shown.length;
  return [
    `stop: ${agent.stopReason}; ${agent.turns.length} turn(s), ${agent.toolCalls.length} tool call(s); tools: ${agent.tools.join(', ') || '(none)'}`,
    ...shown,
    ...(rest > 0
      ? [
          `(+${rest} more calls: ${agent.toolCalls
            .slice(limits.calls)
            .map((c) => c.tool)
            .join(', ')})`,
        ]
      : []),
  ];
}
