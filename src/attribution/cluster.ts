/** Phase 3: group failures by pattern (label + blamed step + pattern key + level) and suggest a fix per group. */
import type { Level } from '../task/schema.ts';
import { CONFIDENCES, UNMET_PATTERN, type CaseAttribution, type Confidence, type FailureLabel } from './types.ts';

export const MAX_CLUSTER_EXAMPLES = 5;

export interface FailureCluster {
  id: string;
  label: FailureLabel;
  step: string;
  level: Level;
  /** The shared pattern key, e.g. `gold-title-missing@hop2`. */
  pattern: string;
  count: number;
  /** Up to five example case ids. */
  caseIds: string[];
  /** The most common confidence among members (ties to the lower). */
  confidence: Confidence;
  suggestedFix: string;
}

type ClusterKey = Pick<FailureCluster, 'label' | 'step' | 'level' | 'pattern'>;

function retrievalFix({ step, level, pattern }: ClusterKey): string {
  if (level === 'param') {
    if (pattern === 'empty-retrieval') return `check the query and k of ${step}: it returned no passages (param)`;
    if (pattern.startsWith('gold-title-missing@'))
      return `run another hop or raise k of ${step}, within the scope's caps (param)`;
    return `raise k of ${step} within the passages-per-hop cap, or tune the retriever (param)`;
  }
  if (pattern.startsWith('gold-title-missing@'))
    return `add a retrieval hop or multi-query retrieval after ${step} (structure)`;
  return `decompose the question into several queries before ${step} (structure)`;
}

/** The tool an agent pattern names: its last `:` field (`tool-error:thrown:get_order` → `get_order`). */
function toolOf(pattern: string): string {
  return pattern.includes(':') ? pattern.slice(pattern.lastIndexOf(':') + 1) : '';
}

export function suggestFix(key: ClusterKey): string {
  const { step, level } = key;
  switch (key.label) {
    case 'retrieval':
      return retrievalFix(key);
    case 'format':
      return `add brevity/format constraints to ${step}: the bare answer only, no explanation`;
    case 'abstention':
      return `instruct ${step} to always give a best-guess answer instead of declining`;
    case 'reasoning':
      return `add reasoning guidance or a worked example to ${step}'s prompt`;
    case 'content':
      if (key.pattern.startsWith(UNMET_PATTERN))
        return `tell ${step} to meet the criterion the judge found unmet: ${key.pattern.slice(UNMET_PATTERN.length)}`;
      return `compare ${step}'s outputs with the expected answers and add task-specific guidance or examples to its prompt`;
    case 'knowledge':
      return `bring the missing information to ${step}: an extra retrieval hop or a wider input (structure)`;
    case 'cascade':
      return `guard ${step} so it never passes an empty result downstream (fallback or retry; structure)`;
    case 'task_error':
      return level === 'prompt'
        ? `state ${step}'s exact output format in its prompt so its output parses`
        : `guard ${step} against the error that crashed the chain (${level})`;
    case 'empty_step':
      return level === 'prompt'
        ? `require ${step} to always produce its output fields`
        : `guard ${step} against empty output (structure)`;
    case 'tool_error':
      return level === 'prompt'
        ? `tell ${step} how to call ${toolOf(key.pattern)} (its description or the agent prompt) and to retry after an error`
        : `fix or guard the tool ${toolOf(key.pattern)} (tool code or chain; ${level})`;
    case 'tool_use':
      return level === 'prompt'
        ? `tell ${step} when to call ${toolOf(key.pattern) || 'its tools'} and with which arguments`
        : `give ${step} the tool ${toolOf(key.pattern)} (${level === 'param' ? 'tool subset param' : 'chain'})`;
    case 'loop_limit':
      if (level === 'prompt') return `tell ${step} not to repeat tool calls and to answer once it has what it needs`;
      return level === 'param'
        ? `raise ${step}'s maxSteps within the cap (param)`
        : `split ${step} into smaller agent steps or raise its fixed limits (structure)`;
    case 'no_final_answer':
      return `require ${step} to end with a final answer in the expected form`;
    case 'tool_contradiction':
      return `tell ${step} to check its answer against the tool results (${toolOf(key.pattern)}) before answering`;
  }
}

function majorityConfidence(members: CaseAttribution[]): Confidence {
  const counts = CONFIDENCES.map((c) => members.filter((m) => m.confidence === c).length);
  const best = Math.max(...counts);
  return CONFIDENCES[counts.lastIndexOf(best)]!;
}

/** Clusters sorted by size (desc), then confidence (high first), then key, with ids C1, C2, … in that order. */
export function clusterFailures(attributions: CaseAttribution[]): FailureCluster[] {
  const groups = new Map<string, CaseAttribution[]>();
  for (const a of attributions) {
    const key = JSON.stringify([a.level, a.label, a.step, a.pattern]);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const clusters = [...groups.entries()].map(([key, members]) => {
    const [level, label, step, pattern] = JSON.parse(key) as [Level, FailureLabel, string, string];
    const clusterKey: ClusterKey = { label, step, level, pattern };
    return {
      sortKey: key,
      cluster: {
        id: '',
        ...clusterKey,
        count: members.length,
        caseIds: members.slice(0, MAX_CLUSTER_EXAMPLES).map((m) => m.caseId),
        confidence: majorityConfidence(members),
        suggestedFix: suggestFix(clusterKey),
      },
    };
  });
  clusters.sort(
    (a, b) =>
      b.cluster.count - a.cluster.count ||
      CONFIDENCES.indexOf(a.cluster.confidence) - CONFIDENCES.indexOf(b.cluster.confidence) ||
      a.sortKey.localeCompare(b.sortKey),
  );
  return clusters.map(({ cluster }, index) => ({ ...cluster, id: `C${index + 1}` }));
}
