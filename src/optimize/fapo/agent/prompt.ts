/** The agent proposer's instructions: the standing rules (system) and this round's brief (first user message). */
import type { Level } from '../../../task/schema.ts';
import { placeholders } from '../../review/template-refs.ts';
import { LEVEL_TECHNIQUES, type ProposerInput } from '../proposer.ts';

export { LEVEL_TECHNIQUES };
import { clip } from './views.ts';

const LEVEL_RULES: Record<Level, string> = {
  prompt:
    'PROMPT level: change the text of one or more existing prompt templates (ideally one module at a time). Do not change params or the chain; do not add or remove templates, except that `tools/<tool>` sets the description an agent step shows for one of its tools.',
  param:
    'PARAM level: change parameter values only (within the tunable set and the caps). Do not change prompts or the chain; frozen settings stay as they are.',
  structure:
    "STRUCTURE level: write a NEW chain file (a path inside the allowed globs that does not exist yet) built from one allowlisted pattern: extra retrieval hop, multi-query retrieval, verify/refine step, self-refine, plan-and-solve, least-to-most, ReAct with tools (agent steps over the workspace tools, MCP tools and search:<resource>), adding or splitting agent steps, deterministic post-processing. The module imports { defineChain, llm, retrieve, code, agent } from 'fapo' and nothing else (no node: modules, no eval, no network, no case-specific conditionals). New llm steps need their prompt templates in `prompts`. Never edit the existing chain file.",
};

export function systemPrompt(level: Level): string {
  return [
    'You are the proposer of FAPO, an optimizer of multi-step LLM pipelines (a chain of llm, retrieve, code and tool-using agent steps with prompt templates and params).',
    'Your job in this session: propose ONE scoped change at the given level that should fix the target failure cluster, branching from the current best variant.',
    '',
    'How to work:',
    '1. Look at the evidence: view_attribution, list_failures, view_case on a few train failures of the target cluster, read_file on the pipeline files, view_memory for what was already tried and how it did on validation.',
    '2. Pick a technique of the ladder that has not been tried at this level yet (listed in the brief) unless the evidence clearly calls for another.',
    '3. Call write_variant once with the change, a hypothesis and the technique you applied (it is recorded in the iteration memory). If it is refused, read the reasons, fix the change and write again; a later accepted write replaces the earlier draft.',
    '4. Optionally quick_check the draft on up to 5 train case ids, and revise if it breaks them.',
    '5. Call finish with a one-paragraph summary. If there is nothing sensible left to try at this level, call finish without writing.',
    '',
    LEVEL_RULES[level],
    '',
    'Prompt-writing rules:',
    '- Keep every ${placeholder} of the template exactly as it is (same names; do not add or drop any).',
    '- Keep the output compatible with the scorer (read scorer.ts if unsure what it compares).',
    '- No hints specific to one example; the change must generalise to unseen questions.',
    '- Never copy train cases (their inputs or answers) into a prompt, not even as few-shot examples. Few-shot examples must be SYNTHETIC: invent new ones of the same shape.',
    '- Write the complete new template text, not a diff, in the same layout (e.g. its System:/User: sections).',
    '',
    'You only see train cases. Validation and test data are not reachable through any tool and you must not try; the memory shows validation aggregates only.',
    'Writes outside the scope contract are refused by the tools themselves.',
  ].join('\n');
}

function templateBlock(name: string, text: string): string {
  const names = [...placeholders(text)].map((p) => `\${${p}}`).join(', ') || '(none)';
  return `--- template "${name}" (placeholders: ${names}) ---\n${clip(text, 6000)}`;
}

function revisionBlock(revision: NonNullable<ProposerInput['revision']>): string[] {
  const blocking = revision.review.checks.filter((c) => c.verdict === 'block');
  const changed = Object.entries(revision.proposal.prompts).filter(
    ([name, text]) => revision.proposal.parent.prompts[name] !== text,
  );
  return [
    '## Revision',
    'The reviewer BLOCKED your previous proposal. You have one revision: fix every blocking reason below, or change approach. Anything not fixed will discard the proposal.',
    `Previous technique: ${revision.proposal.technique}; hypothesis: ${clip(revision.proposal.hypothesis, 500)}`,
    'Blocking reasons:',
    ...blocking.flatMap((c) => c.reasons.map((reason) => `- [${c.check}] ${clip(reason, 400)}`)),
    ...(changed.length > 0
      ? ['Templates you changed:', ...changed.map(([name, text]) => templateBlock(name, text))]
      : []),
    ...(revision.proposal.chainSource !== revision.proposal.parent.chainSource
      ? [`Chain you wrote (${revision.proposal.chainPath}):`, clip(revision.proposal.chainSource, 8000)]
      : []),
  ];
}

/** This round's brief: scope, the current best, the target, the ladder so far, and any revision. */
export function taskBrief(input: ProposerInput): string {
  const { playbook, parent, level, target } = input;
  const untried = LEVEL_TECHNIQUES[level].filter((t) => !input.triedTechniques.includes(t));
  const lines = [
    `# Round ${input.round}: propose one ${level}-level change`,
    '',
    `Objective: ${playbook.objective.trim() || '(not stated)'}`,
    '',
    '## Scope contract',
    `- allowed levels: ${playbook.levels.join(', ')}; this session: ${level}`,
    `- files a proposal may create: ${playbook.allowedFiles.join(', ')}`,
    `- frozen settings: ${playbook.frozen.join(', ') || '(none)'}`,
    `- tunable params: ${playbook.tunableParams.join(', ') || '(any not frozen)'}`,
    `- caps: ${
      Object.entries(playbook.caps)
        .map(([k, v]) => `${k} ≤ ${v}`)
        .join(', ') || '(none)'
    }`,
    `- checker-aware post-processing: ${playbook.allowCheckerAwarePostprocessing ? 'allowed' : 'not allowed'}`,
    ...(playbook.notes ? [`- notes: ${clip(playbook.notes, 1000)}`] : []),
    '',
    `## Current best (v${parent.seq}, chain ${parent.chainPath})`,
    `Steps: ${input.structure.steps.map((s) => `${s.name} (${s.kind}${s.prompt ? `, template ${s.prompt}` : ''})`).join(' → ')}${input.structure.customFlow ? ' (custom flow)' : ''}`,
    `Params: ${clip(parent.params, 2000)}`,
    ...Object.entries(parent.prompts).map(([name, text]) => templateBlock(name, text)),
    ...(level === 'structure' ? [`--- chain source (${parent.chainPath}) ---`, clip(parent.chainSource, 8000)] : []),
    '',
    '## Target',
    target
      ? `Cluster ${target.id}: ${target.count} train failures labelled ${target.label} at step ${target.step} (pattern ${target.pattern}, confidence ${target.confidence}); examples ${target.caseIds.join(', ')}. Suggested fix: ${target.suggestedFix}.`
      : `No cluster is addressable at the ${level} level; look at the attribution and the failures for the most common remaining problem.`,
    '',
    '## Technique ladder at this level',
    `- tried: ${input.triedTechniques.join(', ') || '(none)'}`,
    `- not yet tried: ${untried.join(', ') || '(all tried: consider ablation, or finish without writing)'}`,
    `Memory: ${input.memory.length} record(s); call view_memory for validation results of earlier proposals.`,
  ];
  if (input.revision) lines.push('', ...revisionBlock(input.revision));
  return lines.join('\n');
}
