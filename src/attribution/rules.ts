/**
 * Phase 1: deterministic attribution. Rules read step KINDS (`retrieve`, `llm`, `code`, `agent`), never step
 * names, and run in priority order; the first that matches a failed trial gives its diagnosis.
 */
import type { ChainStructure, StepKind, StepRecord } from '../chain/types.ts';
import type { CaseResult } from '../eval/types.ts';
import type { Case, Level } from '../task/schema.ts';
import { attributeAgentTrial } from './agent-rules.ts';
import {
  expectedAnswers,
  finalOutputText,
  finalStepName,
  goldTitles,
  hopText,
  isEmptyValue,
  questionText,
  recordIsEmpty,
  retrievalHops,
  type RetrievalHop,
} from './records.ts';
import { missingEvidenceRemedy, weakRetrievalRemedy, type RetrievalScope } from './headroom.ts';
import { compactText, containsAsWords, normaliseAnswer, titleKey, tokenOverlap, truncate } from './text.ts';
import { unmetCriteria } from '../task/judge.ts';
import {
  CONFIDENCES,
  NO_STEP,
  UNMET_PATTERN,
  type CaseAttribution,
  type Confidence,
  type RuleVerdict,
} from './types.ts';

export interface RuleContext {
  chain: ChainStructure;
  /** `metadata` key holding gold evidence titles (e.g. `supporting_titles`); absent → the gold rule is off. */
  goldEvidenceKey?: string;
  /** Input field holding the question for the overlap rule; default `question`, else all string inputs. */
  questionKey?: string;
  /** Caps and tunable params: decide whether a retrieval failure is param- or structure-addressable. */
  scope?: RetrievalScope;
  /** `metadata` key holding the tool actions a case expects of agent steps; default `expected_actions`. */
  expectedActionsKey?: string;
}

export type { RuleVerdict };

/** Thresholds of the original heuristics (fapo-method §10.1). */
export const OVERLAP_HIT = 0.4;
export const OVERLAP_PARTIAL = 0.2;
const OVERLAP_CONFIDENT_LOW = 0.1;
const OVERLAP_CONFIDENT_HIGH = 0.35;
const FORMAT_LENGTH_RATIO = 1.5;
const EVIDENCE_CHARS = 160;

/** Everything the rules need about one failed trial, computed once. */
interface TrialFacts {
  testCase: Case;
  result: CaseResult;
  records: StepRecord[];
  finalStep: string;
  finalKind: StepKind | undefined;
  finalText: string;
  hops: RetrievalHop[];
  /** Gold-evidence check; when every gold title was retrieved the overlap rule has nothing to add. */
  gold: GoldCheck | null;
  ctx: RuleContext;
}

type Rule = (facts: TrialFacts) => RuleVerdict | null;

function quote(value: unknown): string {
  return JSON.stringify(truncate(compactText(value), EVIDENCE_CHARS));
}

function levelForStepKind(kind: StepKind | undefined): Level {
  if (kind === 'llm' || kind === 'agent') return 'prompt';
  if (kind === 'retrieve') return 'param';
  return 'structure';
}

function describeHop(hop: RetrievalHop): string {
  return `hop${hop.hop} ${hop.step}#${hop.iteration} (k=${hop.k ?? '?'}, query ${quote(hop.query)})`;
}

/** A short, stable key for an error message: words only, no numbers, ids or quotes. */
function errorPattern(message: string): string {
  const words = normaliseAnswer(message.replace(/\d+/g, ' ')).split(' ').filter(Boolean).slice(0, 5);
  return `crash:${words.join('-') || 'unknown'}`;
}

const taskErrorRule: Rule = (f) => {
  if (f.result.status !== 'task_error') return null;
  const failing = f.records.find((r) => r.error !== undefined) ?? f.records.at(-1);
  const message = failing?.error ?? f.result.error ?? 'unknown error';
  return {
    label: 'task_error',
    step: failing?.name ?? NO_STEP,
    level: levelForStepKind(failing?.kind),
    confidence: 'high',
    evidence: [
      `chain crashed: ${quote(f.result.error ?? message)}`,
      ...(failing
        ? [
            `step ${failing.name}#${failing.iteration} (${failing.kind}) ${failing.error ? `error: ${quote(failing.error)}` : 'was the last step to run'}`,
          ]
        : []),
    ],
    rule: 'task-error',
    pattern: errorPattern(message),
  };
};

const noStepsRule: Rule = (f) =>
  f.records.length > 0
    ? null
    : {
        label: 'empty_step',
        step: NO_STEP,
        level: 'structure',
        confidence: 'high',
        evidence: ['the chain recorded no steps'],
        rule: 'no-steps',
        pattern: 'no-steps',
      };

const cascadeRule: Rule = (f) => {
  const empty = f.records.filter(recordIsEmpty);
  const [root] = empty;
  if (!root || empty.length < 2) return null;
  return {
    label: 'cascade',
    step: root.name,
    level: 'structure',
    confidence: 'high',
    evidence: [
      `root: ${root.name}#${root.iteration} (${root.kind}) returned nothing`,
      `later empty steps: ${empty
        .slice(1)
        .map((r) => `${r.name}#${r.iteration}`)
        .join(', ')}`,
    ],
    rule: 'cascade',
    pattern: 'cascade',
  };
};

const retrievalEmptyRule: Rule = (f) => {
  const hop = f.hops.find((h) => h.passages.length === 0);
  if (!hop) return null;
  const remedy = weakRetrievalRemedy(f.hops, f.ctx.chain, f.ctx.scope ?? {});
  return {
    label: 'retrieval',
    step: hop.step,
    level: remedy.level,
    confidence: 'high',
    evidence: [
      `${describeHop(hop)} returned no passages${hop.query.trim() ? '' : ' (its query was empty)'}`,
      remedy.reason,
    ],
    rule: 'retrieval-empty',
    pattern: 'empty-retrieval',
  };
};

const emptyStepRule: Rule = (f) => {
  const intermediate = f.records.find(
    (r, index) => index < f.records.length - 1 && r.name !== f.finalStep && r.kind !== 'retrieve' && recordIsEmpty(r),
  );
  if (intermediate) {
    return {
      label: 'empty_step',
      step: intermediate.name,
      level: levelForStepKind(intermediate.kind),
      confidence: 'high',
      evidence: [
        `intermediate step ${intermediate.name}#${intermediate.iteration} (${intermediate.kind}) returned nothing`,
      ],
      rule: 'empty-intermediate',
      pattern: 'empty-output',
    };
  }
  if (!isEmptyValue(f.result.output)) return null;
  return {
    label: 'empty_step',
    step: f.finalStep,
    level: f.finalKind === 'llm' ? 'prompt' : 'structure',
    confidence: 'high',
    evidence: [`the final output (step ${f.finalStep}) is empty`],
    rule: 'empty-final',
    pattern: 'empty-final-output',
  };
};

/** Which gold titles each hop returned; null when the case has no gold evidence or the chain no retrieval. */
interface GoldCheck {
  missing: string[];
  perHop: string[];
}

function checkGold(testCase: Case, hops: RetrievalHop[], key: string | undefined): GoldCheck | null {
  const gold = goldTitles(testCase, key);
  if (gold.length === 0 || hops.length === 0) return null;
  const goldByKey = new Map(gold.map((title) => [titleKey(title), title]));
  const found = new Set<string>();
  const perHop = hops.map((hop) => {
    const hopGold = [...new Set(hop.passages.map((p) => titleKey(p.title)).filter((k) => goldByKey.has(k)))];
    for (const k of hopGold) found.add(k);
    const names = hopGold.map((k) => goldByKey.get(k));
    return `${describeHop(hop)}: ${names.length ? `found gold ${JSON.stringify(names)}` : 'found no gold'} among ${hop.passages.length} passages`;
  });
  return { missing: gold.filter((title) => !found.has(titleKey(title))), perHop };
}

const goldEvidenceRule: Rule = (f) => {
  if (!f.gold || f.gold.missing.length === 0) return null;
  const lastHop = f.hops.at(-1)!;
  const remedy = missingEvidenceRemedy(f.hops, f.ctx.chain, f.ctx.scope ?? {});
  return {
    label: 'retrieval',
    step: lastHop.step,
    level: remedy.level,
    confidence: 'high',
    evidence: [
      `gold titles missing after ${f.hops.length} hop(s): ${JSON.stringify(f.gold.missing)}`,
      ...f.gold.perHop,
      remedy.reason,
    ],
    rule: 'gold-evidence',
    pattern: `gold-title-missing@hop${lastHop.hop}`,
    missingGold: f.gold.missing,
  };
};

const formatRule: Rule = (f) => {
  const verdict = (rule: string, evidence: string): RuleVerdict => ({
    label: 'format',
    step: f.finalStep,
    level: 'prompt',
    confidence: 'medium',
    evidence: [evidence, `final output: ${quote(f.finalText)}`],
    rule,
    pattern: 'answer-buried-in-verbose-output',
  });
  const answers = expectedAnswers(f.testCase.expected);
  for (const answer of answers) {
    if (containsAsWords(f.finalText, answer) && f.finalText.length > FORMAT_LENGTH_RATIO * answer.length) {
      return verdict(
        'format',
        `expected ${quote(answer)} occurs in the final output (${f.finalText.length} chars > ${FORMAT_LENGTH_RATIO} × ${answer.length})`,
      );
    }
  }
  const text = normaliseAnswer(f.finalText);
  for (const answer of answers) {
    const normalised = normaliseAnswer(answer);
    if (containsAsWords(text, normalised) && text.length > FORMAT_LENGTH_RATIO * normalised.length) {
      return verdict(
        'format-normalised',
        `normalised expected ${quote(normalised)} occurs in the normalised final output (${text.length} chars > ${FORMAT_LENGTH_RATIO} × ${normalised.length})`,
      );
    }
  }
  return null;
};

function overlapConfidence(overlap: number): Confidence {
  return overlap < OVERLAP_CONFIDENT_LOW || overlap > OVERLAP_CONFIDENT_HIGH ? 'high' : 'medium';
}

const retrievalOverlapRule: Rule = (f) => {
  // Titles alone would make every overlap look like a miss: without passage text there is no evidence.
  if (f.gold?.missing.length === 0 || f.hops.length === 0 || f.hops.every((h) => h.passages.every((p) => !p.text)))
    return null;
  const retrievedText = f.hops.map(hopText).join('\n');
  const question = questionText(f.testCase.input, f.ctx.questionKey);
  const overlap = tokenOverlap(question, retrievedText) ?? tokenOverlap(f.hops[0]!.query, retrievedText);
  if (overlap === null || overlap >= OVERLAP_HIT) return null;
  const perHop = f.hops.map((hop) => ({
    hop,
    overlap: tokenOverlap(hop.query, hopText(hop)),
  }));
  const worst = perHop.reduce((a, b) => ((b.overlap ?? 1) < (a.overlap ?? 1) ? b : a));
  const band = overlap < OVERLAP_PARTIAL ? 'miss' : 'partial';
  const remedy = weakRetrievalRemedy(f.hops, f.ctx.chain, f.ctx.scope ?? {});
  return {
    label: 'retrieval',
    step: worst.hop.step,
    level: remedy.level,
    confidence: overlapConfidence(overlap),
    evidence: [
      `question/retrieved-text overlap ${overlap.toFixed(2)} (${band}; hit ≥ ${OVERLAP_HIT}, partial ≥ ${OVERLAP_PARTIAL})`,
      ...perHop.map((p) => `${describeHop(p.hop)}: query overlap ${p.overlap === null ? 'n/a' : p.overlap.toFixed(2)}`),
      remedy.reason,
    ],
    rule: 'retrieval-overlap',
    pattern: `overlap-${band}`,
  };
};

const ABSTAIN_WHOLE = new Set([
  'unknown',
  'n a',
  'na',
  'none',
  'no answer',
  'not available',
  'cannot answer',
  'insufficient information',
  'not enough information',
]);
const ABSTAIN_PHRASE =
  /\b(?:cannot|can ?not|can'?t|unable to|impossible to) (?:be )?(?:answer|determine|determined|tell|find|identify|provide|say)|\b(?:not enough|insufficient|no|lack of) (?:relevant )?(?:information|context|evidence|data|facts)\b|\bi (?:do not|don'?t) know\b|\bis (?:not|never) (?:mentioned|provided|stated|specified|given)\b|\b(?:the )?answer is unknown\b/i;

/** Whether the final output declines to answer instead of giving one. */
export function isAbstention(text: string): boolean {
  return ABSTAIN_WHOLE.has(normaliseAnswer(text)) || ABSTAIN_PHRASE.test(text);
}

const abstentionRule: Rule = (f) =>
  isAbstention(f.finalText)
    ? {
        label: 'abstention',
        step: f.finalStep,
        level: 'prompt',
        confidence: 'high',
        evidence: [`the final output declines to answer: ${quote(f.finalText)}`],
        rule: 'abstention',
        pattern: 'declines-to-answer',
      }
    : null;

/**
 * A judge scorer named the criteria the output missed: the most specific diagnosis there is. The
 * pattern carries the criterion, so cases missing the same one cluster together and a proposer can
 * name it in the fix.
 */
const unmetCriterionRule: Rule = (f) => {
  const [first, ...rest] = unmetCriteria(f.result.feedback);
  if (!first) return null;
  return {
    label: 'content',
    step: f.finalStep,
    level: levelForStepKind(f.finalKind),
    confidence: 'medium',
    evidence: [`the judge found unmet: ${quote(first)}${rest.length ? ` (and ${rest.length} more)` : ''}`],
    rule: 'unmet-criterion',
    pattern: `${UNMET_PATTERN}${truncate(first, 160)}`,
  };
};

const finalStepFallbackRule: Rule = (f) => ({
  label: 'content',
  step: f.finalStep,
  level: 'prompt',
  confidence: 'low',
  evidence: [
    `score ${f.result.score ?? 'n/a'}; no specific rule matched, blaming the final step`,
    `expected ${quote(f.testCase.expected)}; got ${quote(f.finalText)}`,
  ],
  rule: 'final-step-fallback',
  pattern: 'wrong-answer',
});

const agentRule: Rule = (f) => attributeAgentTrial(f);

/**
 * Priority order. Agent rules follow the crash rules: a broken tool loop explains an empty or wrong
 * answer better than the generic empty/format rules do. Format runs before overlap (if the answer is in the output, retrieval was not the
 * bottleneck); gold evidence runs before both because it is the strongest retrieval evidence.
 */
const RULES: Rule[] = [
  taskErrorRule,
  noStepsRule,
  agentRule,
  cascadeRule,
  retrievalEmptyRule,
  emptyStepRule,
  goldEvidenceRule,
  unmetCriterionRule,
  formatRule,
  retrievalOverlapRule,
  abstentionRule,
  finalStepFallbackRule,
];

/** Whether a trial counts as a pipeline failure (infra and scorer errors are not the pipeline's). */
export function isFailedTrial(result: CaseResult): boolean {
  return result.status === 'task_error' || (result.status === 'ok' && (result.score ?? 0) < 1);
}

/** Diagnoses one failed trial. */
export function attributeTrial(testCase: Case, result: CaseResult, ctx: RuleContext): RuleVerdict {
  const records = result.steps;
  const finalStep = finalStepName(records, ctx.chain) ?? NO_STEP;
  const hops = retrievalHops(records);
  const facts: TrialFacts = {
    testCase,
    result,
    records,
    finalStep,
    finalKind:
      ctx.chain.steps.find((s) => s.name === finalStep)?.kind ??
      [...records].reverse().find((r) => r.name === finalStep)?.kind,
    finalText: finalOutputText(result.output),
    hops,
    gold: checkGold(testCase, hops, ctx.goldEvidenceKey),
    ctx,
  };
  for (const rule of RULES) {
    const verdict = rule(facts);
    if (verdict) return verdict;
  }
  throw new Error('unreachable: the fallback rule always matches');
}

function lowerConfidence(confidence: Confidence): Confidence {
  return CONFIDENCES[Math.min(CONFIDENCES.indexOf(confidence) + 1, CONFIDENCES.length - 1)]!;
}

/**
 * Attributes a case from all of its trials: infra/scorer-error trials are ignored; every failed trial
 * is diagnosed; the most frequent diagnosis (label, step, pattern) wins, ties to the more confident
 * then the earlier trial. When failed trials disagree, the confidence drops one notch.
 * Returns null when no considered trial failed.
 */
export function attributeCaseByRules(testCase: Case, results: CaseResult[], ctx: RuleContext): CaseAttribution | null {
  const considered = results
    .filter((r) => r.status === 'ok' || r.status === 'task_error')
    .sort((a, b) => a.trial - b.trial);
  const failed = considered.filter(isFailedTrial);
  if (failed.length === 0) return null;
  const diagnoses = failed.map((result) => ({ result, verdict: attributeTrial(testCase, result, ctx) }));
  const groups = new Map<string, typeof diagnoses>();
  for (const d of diagnoses) {
    const key = `${d.verdict.label}|${d.verdict.step}|${d.verdict.pattern}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const rank = (group: typeof diagnoses) => Math.min(...group.map((d) => CONFIDENCES.indexOf(d.verdict.confidence)));
  const [chosenGroup] = [...groups.values()].sort((a, b) => b.length - a.length || rank(a) - rank(b));
  const chosen = chosenGroup!.sort(
    (a, b) => CONFIDENCES.indexOf(a.verdict.confidence) - CONFIDENCES.indexOf(b.verdict.confidence),
  )[0]!;
  const trialNote =
    considered.length > 1
      ? [
          `failed ${failed.length}/${considered.length} trials (${failed.map((d) => `t${d.trial}`).join(', ')}); diagnoses: ${[
            ...groups.entries(),
          ]
            .map(([key, group]) => `${key.split('|')[0]}@${key.split('|')[1]} ×${group.length}`)
            .join(', ')}`,
        ]
      : [];
  return {
    caseId: testCase.id,
    ...chosen.verdict,
    confidence: groups.size > 1 ? lowerConfidence(chosen.verdict.confidence) : chosen.verdict.confidence,
    evidence: [...trialNote, ...chosen.verdict.evidence],
    trial: chosen.result.trial,
    trials: { failed: failed.length, total: considered.length },
    credit: (considered.length - failed.length) / considered.length,
  };
}
