import { agentParam } from '../../attribution/agent-trace.ts';
import type { FailureCluster } from '../../attribution/cluster.ts';
import { UNMET_PATTERN } from '../../attribution/types.ts';
import type { Proposal } from '../review/types.ts';
import type { Proposer, ProposerInput, Technique } from './proposer.ts';

/**
 * The model-free proposer: maps attribution clusters to techniques from a fixed library. It is
 * deterministic and cheap, drives the offline demo, and gives users a first pass before paying
 * for an agent. Each rule applies once per (technique, step); when none is left it returns null,
 * which the controller reads as "this level's ideas are used up".
 */
interface PromptRule {
  technique: Technique;
  /** Cluster labels the rule addresses. */
  labels: string[];
  /** Text appended to the system part of the step's template; a function when it names what the cluster lacked (null: nothing to say). */
  instruction: string | ((cluster: FailureCluster) => string | null);
  hypothesis: (step: string, cluster: FailureCluster) => string;
}

const PROMPT_RULES: PromptRule[] = [
  // Judge scorers name what an output missed (`unmet:<criterion>`): the most direct fix is to ask for it.
  {
    technique: 'criterion-instruction',
    labels: ['content'],
    instruction: (c) =>
      c.pattern.startsWith(UNMET_PATTERN)
        ? `Make sure every output meets this requirement: ${c.pattern.slice(UNMET_PATTERN.length)}`
        : null,
    hypothesis: (s, c) =>
      `${s}'s outputs miss a criterion the judge checks (${c.pattern}); stating the requirement in its prompt should make them meet it.`,
  },
  {
    technique: 'format-constraints',
    labels: ['format'],
    instruction:
      'Respond with only the short answer (a name, number, or yes/no), with no full sentence and no explanation.',
    hypothesis: (s) =>
      `Answers from ${s} contain the right entity inside a sentence; a brevity constraint makes them exact matches.`,
  },
  {
    technique: 'always-answer',
    labels: ['abstention'],
    instruction: 'Always give your best guess; never reply that the answer cannot be determined.',
    hypothesis: (s) => `${s} abstains when evidence is incomplete; a best guess scores sometimes, an abstention never.`,
  },
  {
    technique: 'decomposition',
    labels: ['retrieval', 'knowledge', 'cascade', 'reasoning', 'content'],
    instruction:
      'First identify which entity in the chain of facts is still unknown, then address exactly that entity.',
    hypothesis: (s) => `Making ${s} decompose the question may target the missing link in multi-hop questions.`,
  },
  {
    technique: 'role-framing',
    labels: ['retrieval', 'knowledge', 'cascade', 'reasoning', 'content'],
    instruction: 'You are a meticulous research librarian who tracks every entity a question depends on.',
    hypothesis: (s) => `Role framing may make ${s} more careful about the facts it depends on.`,
  },
  {
    technique: 'constraint-tightening',
    labels: ['retrieval', 'knowledge', 'cascade', 'reasoning', 'content'],
    instruction:
      'Keep every fact that names an entity mentioned in the question or in the notes so far; never drop a fact.',
    hypothesis: (s) => `Tighter constraints on ${s} may stop it losing the facts later steps need.`,
  },
  {
    technique: 'chain-of-thought',
    labels: ['reasoning', 'content', 'retrieval', 'knowledge', 'cascade'],
    instruction: 'Reason step by step through the facts before you write your final output.',
    hypothesis: (s) => `Explicit step-by-step reasoning may fix wrong conclusions in ${s}.`,
  },
  // Agent steps: the cluster's pattern names the tool (`tool-never-called:cancel_order`).
  {
    technique: 'tool-use-instruction',
    labels: ['tool_use', 'tool_error'],
    instruction: toolUseInstruction,
    hypothesis: (s, c) =>
      `${s} ${c.label === 'tool_error' ? 'leaves tool errors unrepaired' : 'misuses or skips a tool'} (${c.pattern}); an explicit tool-use instruction should fix it.`,
  },
  {
    technique: 'tool-result-check',
    labels: ['tool_contradiction'],
    instruction:
      'Before your final answer, re-read the tool results and make sure every fact in your answer matches them.',
    hypothesis: (s) => `${s} answers against what its tools returned; checking the results first should align them.`,
  },
  {
    technique: 'tool-loop-discipline',
    labels: ['loop_limit', 'no_final_answer'],
    instruction:
      'Never repeat a tool call with the same arguments; as soon as you have what you need, stop calling tools and give your final answer.',
    hypothesis: (s) => `${s} loops or stops without an answer; telling it when to stop should make it answer.`,
  },
];

/** The tool an agent cluster's pattern names (`tool-error:thrown:get_order` → `get_order`), if any. */
function patternTool(pattern: string): string | null {
  const tool = pattern.includes(':') ? pattern.slice(pattern.lastIndexOf(':') + 1) : '';
  return tool || null;
}

function toolUseInstruction(cluster: FailureCluster): string | null {
  if (cluster.pattern === 'no-tool-calls')
    return 'Use your tools to look up every fact the request depends on; never answer from memory.';
  const tool = patternTool(cluster.pattern);
  if (!tool) return null;
  if (cluster.pattern.startsWith('tool-never-called:'))
    return `Whenever the request needs it, call the ${tool} tool, and do not give your final answer until ${tool} has succeeded.`;
  if (cluster.pattern.startsWith('tool-wrong-args:'))
    return `Take every argument of ${tool} from the request or from an earlier tool result; never guess an id or a value.`;
  return `If ${tool} returns an error, read it, correct the arguments and call ${tool} again before answering.`;
}

export function createRuleProposer(): Proposer {
  return {
    name: 'rules',
    async propose(input) {
      if (input.level === 'prompt') return proposePrompt(input);
      if (input.level === 'param') return proposeParam(input);
      return null; // no structural pattern in the rule library: the agent proposer writes chain code
    },
  };
}

/** The clusters at this level, largest first, then the rest (a prompt rule can still target their step). */
function clustersFor(input: ProposerInput): FailureCluster[] {
  const at = input.attribution.clusters.filter((c) => c.level === input.level);
  const rest = input.attribution.clusters.filter((c) => c.level !== input.level);
  return [...(input.target ? [input.target] : []), ...at, ...rest].filter(
    (c, i, all) => all.findIndex((x) => x.id === c.id) === i,
  );
}

/** Whether a technique was tried on a template; rules that name a tool count per cluster pattern. */
function tried(input: ProposerInput, technique: string, template: string, pattern?: string): boolean {
  return input.memory.some(
    (m) =>
      m.kind === 'variant' &&
      m.technique === technique &&
      m.stepsChanged.includes(template) &&
      (pattern === undefined || m.hypothesis.includes(pattern)),
  );
}

function proposePrompt(input: ProposerInput): Proposal | null {
  // Templated steps: llm steps and agent steps (whose prompt the agent loop renders).
  const templated = input.structure.steps.filter((s) => (s.kind === 'llm' || s.kind === 'agent') && s.prompt);
  const llmSteps = templated.filter((s) => s.kind === 'llm');
  for (const cluster of clustersFor(input)) {
    // Prompt fixes act on templated steps: the blamed one if it has a template, otherwise the llm
    // steps that feed the blamed step (e.g. the query writer before a retrieval that missed).
    const blamed = templated.find((s) => s.name === cluster.step);
    const candidates = blamed ? [blamed] : llmSteps.filter((s) => s.name !== llmSteps.at(-1)?.name);
    for (const rule of PROMPT_RULES) {
      if (!rule.labels.includes(cluster.label)) continue;
      const instruction = typeof rule.instruction === 'string' ? rule.instruction : rule.instruction(cluster);
      if (instruction === null) continue;
      const perPattern = typeof rule.instruction === 'string' ? undefined : cluster.pattern;
      for (const step of candidates) {
        if (tried(input, rule.technique, step.prompt!, perPattern)) continue;
        const template = input.parent.prompts[step.prompt!];
        if (template === undefined || template.includes(instruction)) continue;
        return {
          level: 'prompt',
          parent: input.parent,
          chainPath: input.parent.chainPath,
          chainSource: input.parent.chainSource,
          params: input.parent.params,
          prompts: { ...input.parent.prompts, [step.prompt!]: appendToSystem(template, instruction) },
          files: [],
          hypothesis: `${rule.hypothesis(step.name, cluster)} (cluster ${cluster.id}: ${cluster.count} cases)`,
          technique: rule.technique,
        };
      }
    }
  }
  return null;
}

/** Adds an instruction at the end of the `System:` section (or at the top when there is none). */
export function appendToSystem(template: string, instruction: string): string {
  const m = template.match(/^System:[^\n]*(\n(?!(User|Assistant):)[^\n]*)*/m);
  if (!m) return `System: ${instruction}\n${template}`;
  const end = m.index! + m[0].length;
  return `${template.slice(0, end)} ${instruction}${template.slice(end)}`;
}

function paramProposal(input: ProposerInput, key: string, value: unknown, hypothesis: string): Proposal {
  return {
    level: 'param',
    parent: input.parent,
    chainPath: input.parent.chainPath,
    chainSource: input.parent.chainSource,
    prompts: input.parent.prompts,
    params: { ...input.parent.params, [key]: value },
    files: [],
    hypothesis,
    technique: 'param-tuning',
  };
}

function paramRules(input: ProposerInput) {
  const { playbook, memory, parent } = input;
  return {
    tunable: (key: string) =>
      !playbook.frozen.includes(key) && (playbook.tunableParams.length === 0 || playbook.tunableParams.includes(key)),
    triedFromHere: (key: string) =>
      memory.some((m) => m.kind === 'variant' && m.parent === parent.hash && m.stepsChanged.includes(`params.${key}`)),
  };
}

function proposeParam(input: ProposerInput): Proposal | null {
  return proposeRetrievalParam(input) ?? proposeAgentParam(input);
}

/** Retrieval misses with headroom under the caps: one more hop, else more passages per hop. */
function proposeRetrievalParam(input: ProposerInput): Proposal | null {
  const retrieval = clustersFor(input).find((c) => c.level === 'param' && c.label === 'retrieval');
  if (!retrieval) return null;
  const { params, playbook } = { params: input.parent.params, playbook: input.playbook };
  const { tunable, triedFromHere } = paramRules(input);
  const moves: { key: string; cap?: number }[] = [
    ...Object.keys(params)
      .filter((k) => /hops?$/i.test(k))
      .map((key) => ({ key, cap: playbook.caps.hops })),
    ...Object.keys(params)
      .filter((k) => /^(k|top_?k|.*_k)$/i.test(k))
      .map((key) => ({ key, cap: playbook.caps.passagesPerHop })),
  ];
  for (const { key, cap } of moves) {
    const value = params[key];
    if (typeof value !== 'number' || !tunable(key) || (cap !== undefined && value + 1 > cap)) continue;
    if (triedFromHere(key)) continue;
    return paramProposal(
      input,
      key,
      value + 1,
      `Gold evidence is missing after the last retrieval in ${retrieval.count} train cases; raising ${key} ${value} → ${value + 1} (cap ${cap ?? 'none'}) should retrieve it.`,
    );
  }
  return null;
}

/**
 * Agent steps at the param level: a loop that hit maxSteps gets more steps (half again, at least 2,
 * within the playbook's maxSteps cap); a tool the agent needed but did not have joins its subset.
 */
function proposeAgentParam(input: ProposerInput): Proposal | null {
  const { params } = input.parent;
  const { tunable, triedFromHere } = paramRules(input);
  for (const cluster of clustersFor(input).filter((c) => c.level === 'param')) {
    if (cluster.label === 'loop_limit') {
      const key = agentParam(input.structure, cluster.step, 'maxSteps');
      const value = key === undefined ? undefined : params[key];
      if (key === undefined || typeof value !== 'number' || !tunable(key) || triedFromHere(key)) continue;
      const cap = input.playbook.caps.maxSteps ?? Number.POSITIVE_INFINITY;
      const next = Math.min(cap, value + Math.max(2, Math.ceil(value / 2)));
      if (next <= value) continue;
      return paramProposal(
        input,
        key,
        next,
        `${cluster.step} hit its step limit in ${cluster.count} train cases without repeating calls; raising ${key} ${value} → ${next} (cap ${Number.isFinite(cap) ? cap : 'none'}) lets it finish.`,
      );
    }
    const tool =
      cluster.label === 'tool_use' && cluster.pattern.startsWith('tool-never-called:')
        ? patternTool(cluster.pattern)
        : null;
    if (tool) {
      const key = agentParam(input.structure, cluster.step, 'tools');
      const value = key === undefined ? undefined : params[key];
      if (key === undefined || !Array.isArray(value) || value.includes(tool) || !tunable(key) || triedFromHere(key))
        continue;
      return paramProposal(
        input,
        key,
        [...value, tool],
        `${cluster.step} needed ${tool} in ${cluster.count} train cases but its tool subset (${key}) lacks it; adding it should let the agent act.`,
      );
    }
  }
  return null;
}
