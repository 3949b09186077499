/**
 * Attribution rules for agent steps, read from the recorded tool trace (never from step names).
 * Levels follow what can fix the failure: the agent's prompt and tool descriptions (prompt), its
 * maxSteps or tool subset when they are tunable `${params.x}` (param), else the chain or the tool
 * code (structure). They run after the crash rules and before the retrieval and answer rules.
 */
import type { ChainStructure, StepRecord, ToolCallRecord } from '../chain/types.ts';
import type { CaseResult } from '../eval/types.ts';
import type { Case, Level } from '../task/schema.ts';
import {
  type AgentStep,
  agentParam,
  agentSteps,
  argumentMismatches,
  DEFAULT_EXPECTED_ACTIONS_KEY,
  describeCall,
  type ExpectedAction,
  expectedActions,
  repeatedCalls,
  unrecoveredErrors,
} from './agent-trace.ts';
import { isTunable, type RetrievalScope } from './headroom.ts';
import { expectedAnswers, isEmptyValue } from './records.ts';
import { compactText, containsAsWords, normaliseAnswer, truncate } from './text.ts';
import type { RuleVerdict } from './types.ts';

/** What the agent rules read about one failed trial (a subset of the general rules' facts). */
export interface AgentFacts {
  testCase: Case;
  result: CaseResult;
  records: StepRecord[];
  finalText: string;
  ctx: {
    chain: ChainStructure;
    scope?: RetrievalScope;
    /** `metadata` key holding the actions a case expects (tool names or `{name, kwargs}`); default `expected_actions`. */
    expectedActionsKey?: string;
  };
}

type AgentRule = (facts: AgentFacts, steps: AgentStep[]) => RuleVerdict | null;

const CALL_LIMITS = { args: 160, result: 160 };

function call(c: ToolCallRecord): string {
  return describeCall(c, CALL_LIMITS);
}

function successfulCalls(steps: AgentStep[], tool?: string): ToolCallRecord[] {
  return steps.flatMap((s) => s.agent.toolCalls.filter((c) => c.error === undefined && (!tool || c.tool === tool)));
}

/** A tool that failed only on some arguments works: the arguments are the prompt's problem, not the code. */
function toolErrorLevel(failed: ToolCallRecord, steps: AgentStep[]): { level: Level; why: string } {
  switch (failed.error!.kind) {
    case 'not_found':
      return {
        level: 'prompt',
        why: 'the agent called a tool it does not have: name the available tools in its prompt',
      };
    case 'invalid_args':
      return {
        level: 'prompt',
        why: `the arguments did not match ${failed.tool}'s schema: its description or the prompt`,
      };
    case 'thrown':
      return successfulCalls(steps, failed.tool).length > 0
        ? {
            level: 'prompt',
            why: `${failed.tool} works with other arguments in this trial: the arguments are at fault`,
          }
        : { level: 'structure', why: `${failed.tool} never succeeded in this trial: its code or the chain` };
    default:
      return { level: 'structure', why: `${failed.tool} ${failed.error!.kind}: the tool code or its limits` };
  }
}

const toolErrorRule: AgentRule = (_f, steps) => {
  for (const { record, agent } of steps) {
    // A cap hit is the loop-limit rule's: the runtime, not the tool, refused the call.
    const failed = unrecoveredErrors(agent).find((c) => c.error!.kind !== 'cap');
    if (!failed) continue;
    const { level, why } = toolErrorLevel(failed, steps);
    return {
      label: 'tool_error',
      step: record.name,
      level,
      confidence: 'high',
      evidence: [
        `${record.name}#${record.iteration}: ${call(failed)}`,
        `no later call of ${failed.tool} in the step succeeded (stop: ${agent.stopReason})`,
        why,
      ],
      rule: 'agent-tool-error',
      pattern: `tool-error:${failed.error!.kind}:${failed.tool}`,
    };
  }
  return null;
};

/** Whether a tunable maxSteps param exists and is below the playbook's `maxSteps` cap. */
function maxStepsHeadroom(facts: AgentFacts, step: string): string | null {
  const scope = facts.ctx.scope ?? {};
  const param = agentParam(facts.ctx.chain, step, 'maxSteps');
  if (!param || !isTunable(scope, param)) return null;
  const value = scope.params?.[param];
  const cap = scope.caps?.maxSteps;
  if (cap !== undefined && typeof value === 'number' && value >= cap) return null;
  return `param headroom: maxSteps of ${step} is params.${param} = ${compactText(value) || '?'}${cap === undefined ? '' : ` < cap ${cap}`}`;
}

const loopLimitRule: AgentRule = (f, steps) => {
  const hit = steps.find((s) => s.agent.stopReason === 'max_steps' || s.agent.stopReason === 'tool_cap');
  if (!hit) return null;
  const { record, agent } = hit;
  const base = {
    label: 'loop_limit' as const,
    step: record.name,
    confidence: 'high' as const,
    rule: 'agent-loop-limit',
  };
  const stopped = `${record.name}#${record.iteration} stopped at ${agent.stopReason} after ${agent.turns.length} turn(s) and ${agent.toolCalls.length} tool call(s)`;
  const repeats = repeatedCalls(agent);
  if (repeats.length > 0) {
    return {
      ...base,
      level: 'prompt',
      evidence: [
        stopped,
        `${repeats.length} repeated call(s), e.g. ${call(repeats[0]!)}`,
        'the agent loops instead of answering',
      ],
      pattern: `loop-repeats:${agent.stopReason}`,
    };
  }
  const headroom = agent.stopReason === 'max_steps' ? maxStepsHeadroom(f, record.name) : null;
  return {
    ...base,
    level: headroom ? 'param' : 'structure',
    evidence: [
      stopped,
      'no call was repeated: the task needs more steps than the loop allows',
      headroom ?? 'no tunable maxSteps with headroom: split the step or change the chain',
    ],
    pattern: `loop-limit:${agent.stopReason}`,
  };
};

const noFinalAnswerRule: AgentRule = (_f, steps) => {
  const silent = steps.find(
    ({ record, agent }) =>
      agent.stopReason === 'error' || (agent.stopReason === 'final' && isEmptyValue(record.output)),
  );
  if (!silent) return null;
  const { record, agent } = silent;
  const lastText = agent.turns.at(-1)?.text ?? '';
  return {
    label: 'no_final_answer',
    step: record.name,
    level: 'prompt',
    confidence: 'high',
    evidence: [
      `${record.name}#${record.iteration} ended (${agent.stopReason}) without a final answer${record.error ? `: ${JSON.stringify(truncate(record.error, 160))}` : ''}`,
      `last turn text: ${JSON.stringify(truncate(lastText, 160))}`,
    ],
    rule: 'agent-no-final-answer',
    pattern: `no-final-answer:${agent.stopReason}`,
  };
};

/** The agent step that could have called `tool` (else the last one), and the level that adds it. */
function stepForTool(
  facts: AgentFacts,
  steps: AgentStep[],
  tool: string,
): { step: AgentStep; level: Level; why: string } {
  const owner = steps.find((s) => s.agent.tools.includes(tool));
  if (owner) return { step: owner, level: 'prompt', why: `${tool} was available to ${owner.record.name}` };
  const last = steps.at(-1)!;
  const param = agentParam(facts.ctx.chain, last.record.name, 'tools');
  return param && isTunable(facts.ctx.scope ?? {}, param)
    ? { step: last, level: 'param', why: `${tool} is not in ${last.record.name}'s tool subset (params.${param})` }
    : { step: last, level: 'structure', why: `${tool} is not in any agent step's tool set` };
}

function absentTool(f: AgentFacts, steps: AgentStep[], tool: string, source: string, high: boolean): RuleVerdict {
  const { step, level, why } = stepForTool(f, steps, tool);
  const called = [...new Set(steps.flatMap((s) => s.agent.toolCalls.map((c) => c.tool)))];
  return {
    label: 'tool_use',
    step: step.record.name,
    level,
    confidence: high ? 'high' : 'medium',
    evidence: [
      `${source} needs ${tool}, which was never called successfully`,
      `called: ${called.length ? called.join(', ') : '(no tool)'}`,
      why,
    ],
    rule: high ? 'agent-absent-tool' : 'agent-feedback-tool',
    pattern: `tool-never-called:${tool}`,
  };
}

function wrongArgs(steps: AgentStep[], calls: ToolCallRecord[], evidence: string[], high: boolean): RuleVerdict {
  const [first] = calls;
  const owner = steps.find((s) => s.agent.toolCalls.includes(first!))!;
  return {
    label: 'tool_use',
    step: owner.record.name,
    level: 'prompt',
    confidence: high ? 'high' : 'medium',
    evidence: [...evidence, ...calls.slice(0, 3).map((c) => `called: ${call(c)}`)],
    rule: high ? 'agent-wrong-args' : 'agent-feedback-tool',
    pattern: `tool-wrong-args:${first!.tool}`,
  };
}

function checkAction(f: AgentFacts, steps: AgentStep[], action: ExpectedAction): RuleVerdict | null {
  const calls = successfulCalls(steps, action.tool);
  if (calls.length === 0) return absentTool(f, steps, action.tool, 'the case', true);
  const ranked = calls
    .map((c) => ({ c, mismatches: argumentMismatches(action, c) }))
    .sort((a, b) => a.mismatches.length - b.mismatches.length);
  const best = ranked[0]!;
  if (best.mismatches.length === 0) return null;
  const got = (best.c.args ?? {}) as Record<string, unknown>;
  return wrongArgs(
    steps,
    [best.c],
    best.mismatches.map(
      (key) =>
        `${action.tool}.${key}: expected ${truncate(compactText(action.args![key]), 80)}, closest call had ${truncate(compactText(got[key]), 80) || '(absent)'}`,
    ),
    true,
  );
}

const expectedActionRule: AgentRule = (f, steps) => {
  for (const action of expectedActions(f.testCase, f.ctx.expectedActionsKey ?? DEFAULT_EXPECTED_ACTIONS_KEY)) {
    const verdict = checkAction(f, steps, action);
    if (verdict) return verdict;
  }
  return null;
};

/** The agent had the answer from a tool and said something else. */
const contradictionRule: AgentRule = (f, steps) => {
  const answers = expectedAnswers(f.testCase.expected).map(normaliseAnswer).filter(Boolean);
  if (answers.length === 0) return null;
  const finalText = normaliseAnswer(f.finalText);
  if (answers.some((a) => containsAsWords(finalText, a))) return null;
  for (const c of successfulCalls(steps)) {
    const text = normaliseAnswer(compactText(c.result));
    const answer = answers.find((a) => containsAsWords(text, a));
    if (!answer) continue;
    const owner = steps.find((s) => s.agent.toolCalls.includes(c))!;
    return {
      label: 'tool_contradiction',
      step: owner.record.name,
      level: 'prompt',
      confidence: 'high',
      evidence: [
        `the tool result holds the expected ${JSON.stringify(answer)}: ${call(c)}`,
        `final answer: ${JSON.stringify(truncate(f.finalText, 160))}`,
      ],
      rule: 'agent-contradicts-tool',
      pattern: `ignores-tool-result:${c.tool}`,
    };
  }
  return null;
};

/** The scorer's feedback names a tool: never called → absent; called → its arguments were wrong. */
const feedbackToolRule: AgentRule = (f, steps) => {
  const feedback = f.result.feedback;
  if (!feedback) return null;
  const tools = [...new Set(steps.flatMap((s) => s.agent.tools))];
  const tool = tools.find((t) => containsAsWords(feedback, t));
  if (!tool) return null;
  const quoted = `scorer feedback: ${JSON.stringify(truncate(feedback, 200))}`;
  const calls = successfulCalls(steps, tool);
  return calls.length === 0
    ? {
        ...absentTool(f, steps, tool, 'the scorer feedback', false),
        evidence: [quoted, `${tool} was never called successfully`],
      }
    : wrongArgs(steps, calls, [quoted, `${tool} was called, so the feedback contradicts its arguments`], false);
};

const noToolCallsRule: AgentRule = (_f, steps) => {
  const idle = steps.find((s) => s.agent.tools.length > 0 && s.agent.toolCalls.length === 0);
  return idle
    ? {
        label: 'tool_use',
        step: idle.record.name,
        level: 'prompt',
        confidence: 'medium',
        evidence: [`${idle.record.name} answered without calling any of its tools (${idle.agent.tools.join(', ')})`],
        rule: 'agent-no-tool-calls',
        pattern: 'no-tool-calls',
      }
    : null;
};

/** Priority order: what broke the loop first, then what the case or the scorer says the agent missed. */
const AGENT_RULES: AgentRule[] = [
  toolErrorRule,
  loopLimitRule,
  noFinalAnswerRule,
  expectedActionRule,
  contradictionRule,
  feedbackToolRule,
  noToolCallsRule,
];

/** The first agent rule that matches a failed trial; null when the trial ran no agent step or none matched. */
export function attributeAgentTrial(facts: AgentFacts): RuleVerdict | null {
  const steps = agentSteps(facts.records);
  if (steps.length === 0) return null;
  for (const rule of AGENT_RULES) {
    const verdict = rule(facts, steps);
    if (verdict) return verdict;
  }
  return null;
}
