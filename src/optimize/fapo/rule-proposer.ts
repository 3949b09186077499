import type { FailureCluster } from '../../attribution/cluster.ts';
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
  /** Cluster labels the rule addresses; `*` any. */
  labels: string[];
  /** Text appended to the system part of the step's template. */
  instruction: string;
  hypothesis: (step: string) => string;
}

const PROMPT_RULES: PromptRule[] = [
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
];

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

function tried(input: ProposerInput, technique: string, step: string): boolean {
  return input.memory.some((m) => m.kind === 'variant' && m.technique === technique && m.stepsChanged.includes(step));
}

function proposePrompt(input: ProposerInput): Proposal | null {
  const llmSteps = input.structure.steps.filter((s) => s.kind === 'llm');
  for (const cluster of clustersFor(input)) {
    // Prompt fixes act on llm steps: the blamed one if it is an llm step, otherwise the llm steps
    // that feed the blamed step (e.g. the query writer before a retrieval that missed).
    const blamed = llmSteps.find((s) => s.name === cluster.step);
    const candidates = blamed ? [blamed] : llmSteps.filter((s) => s.name !== llmSteps.at(-1)?.name);
    for (const rule of PROMPT_RULES) {
      if (!rule.labels.includes(cluster.label)) continue;
      for (const step of candidates) {
        if (tried(input, rule.technique, step.name)) continue;
        const template = input.parent.prompts[step.prompt!];
        if (template === undefined || template.includes(rule.instruction)) continue;
        return {
          level: 'prompt',
          parent: input.parent,
          chainPath: input.parent.chainPath,
          chainSource: input.parent.chainSource,
          params: input.parent.params,
          prompts: { ...input.parent.prompts, [step.prompt!]: appendToSystem(template, rule.instruction) },
          files: [],
          hypothesis: `${rule.hypothesis(step.name)} (cluster ${cluster.id}: ${cluster.count} cases)`,
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

/** Retrieval misses with headroom under the caps: one more hop, else more passages per hop. */
function proposeParam(input: ProposerInput): Proposal | null {
  const retrieval = clustersFor(input).find((c) => c.level === 'param' && c.label === 'retrieval');
  if (!retrieval) return null;
  const { params, playbook } = { params: input.parent.params, playbook: input.playbook };
  const tunable = (key: string) =>
    !playbook.frozen.includes(key) && (playbook.tunableParams.length === 0 || playbook.tunableParams.includes(key));
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
    const triedFromHere = input.memory.some(
      (m) => m.kind === 'variant' && m.parent === input.parent.hash && m.stepsChanged.includes(`params.${key}`),
    );
    if (triedFromHere) continue;
    return {
      level: 'param',
      parent: input.parent,
      chainPath: input.parent.chainPath,
      chainSource: input.parent.chainSource,
      prompts: input.parent.prompts,
      params: { ...params, [key]: value + 1 },
      files: [],
      hypothesis: `Gold evidence is missing after the last retrieval in ${retrieval.count} train cases; raising ${key} ${value} → ${value + 1} (cap ${cap ?? 'none'}) should retrieve it.`,
      technique: 'param-tuning',
    };
  }
  return null;
}
