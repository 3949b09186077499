/**
 * What people's feedback says, without averaging it away: each trusted trace's verdict (a trace whose
 * raters disagree is a contradiction, flagged for the review, not a half pass), and the criteria their
 * comments name, each with the traces and raters it came from.
 */
import type { Feedback, Trace } from './schema.ts';

export interface Criterion {
  id: string;
  text: string;
  /** From comments on failing outputs (a problem to avoid) or on passing ones (a quality to keep). */
  kind: 'avoid' | 'keep';
  /** Trace ids whose feedback named it. */
  from: string[];
  raters: string[];
}

export interface Contradiction {
  trace: string;
  labels: { rater?: string; pass: boolean; comment?: string }[];
}

export interface FeedbackSummary {
  /** Trusted traces with one clear verdict. */
  verdicts: Record<string, boolean>;
  contradictions: Contradiction[];
  criteria: Criterion[];
}

export function passes(f: Feedback): boolean {
  return typeof f.label === 'string' ? f.label === 'pass' : typeof f.label === 'boolean' ? f.label : f.label >= 0.5;
}

const normalize = (comment: string) =>
  comment
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[.!]+$/, '');

export function summarizeFeedback(traces: readonly Trace[]): FeedbackSummary {
  const verdicts: Record<string, boolean> = {};
  const contradictions: Contradiction[] = [];
  const byText = new Map<string, Criterion>();
  for (const t of traces) {
    if (!t.trusted || t.feedback.length === 0) continue;
    const labels = t.feedback.map((f) => ({
      ...(f.rater ? { rater: f.rater } : {}),
      pass: passes(f),
      ...(f.comment ? { comment: f.comment } : {}),
    }));
    if (labels.some((l) => l.pass) && labels.some((l) => !l.pass)) contradictions.push({ trace: t.id, labels });
    else verdicts[t.id] = labels[0]!.pass;
    for (const l of labels) {
      if (!l.comment) continue;
      const text = normalize(l.comment);
      const key = `${l.pass ? 'keep' : 'avoid'}\u0000${text.toLowerCase()}`;
      let c = byText.get(key);
      if (!c) {
        c = { id: '', text, kind: l.pass ? 'keep' : 'avoid', from: [], raters: [] };
        byText.set(key, c);
      }
      if (!c.from.includes(t.id)) c.from.push(t.id);
      if (l.rater && !c.raters.includes(l.rater)) c.raters.push(l.rater);
    }
  }
  // Most often named first: the order a reviewer reads and the guideline keeps.
  const criteria = [...byText.values()]
    .sort((a, b) => b.from.length - a.from.length || a.text.localeCompare(b.text))
    .map((c, i) => ({ ...c, id: `g${i + 1}` }));
  return { verdicts, contradictions, criteria };
}

/** A criterion as the judge reads it. */
export function criterionText(c: Pick<Criterion, 'kind' | 'text'>): string {
  return c.kind === 'avoid'
    ? `The output does not have this problem reviewers flagged: "${c.text}".`
    : `The output keeps this quality reviewers praised: "${c.text}".`;
}
