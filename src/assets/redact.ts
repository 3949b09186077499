/**
 * Redaction before anything else reads the traces: e-mail addresses, phone numbers, API keys and
 * tokens, and the names the user lists are replaced by a typed marker, and counted, so the report
 * says what was removed without repeating it.
 */
import type { AssetConfig, Trace } from './schema.ts';

export type RedactionKind = 'email' | 'phone' | 'key' | 'name';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// International or national numbers with at least 8 digits, separators allowed; not dates or ids in words.
const PHONE = /(?<![\w-])\+?\d[\d ().-]{6,}\d(?![\w-])/g;
// Provider keys and bearer tokens (sk-..., ghp_..., xoxb-..., AKIA...), and long hex or base64 runs.
const KEY =
  /\b(?:sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|[A-Fa-f0-9]{32,}|[A-Za-z0-9+/]{40,}={0,2})\b/g;

export interface RedactionReport {
  counts: Record<RedactionKind, number>;
  /** Traces with at least one redaction. */
  traces: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function redactTraces(
  traces: readonly Trace[],
  opts: AssetConfig['redact'],
): { traces: Trace[]; report: RedactionReport } {
  const counts: Record<RedactionKind, number> = { email: 0, phone: 0, key: 0, name: 0 };
  const rules: [RedactionKind, RegExp][] = [];
  // Keys first: a key can contain digit runs a phone pattern would otherwise take.
  if (opts.keys) rules.push(['key', KEY]);
  if (opts.emails) rules.push(['email', EMAIL]);
  if (opts.phones) rules.push(['phone', PHONE]);
  if (opts.names.length) rules.push(['name', new RegExp(`\\b(?:${opts.names.map(escapeRegExp).join('|')})\\b`, 'gi')]);
  let touched = 0;
  const redactText = (text: string): string => {
    let out = text;
    for (const [kind, pattern] of rules)
      out = out.replace(pattern, () => {
        counts[kind]++;
        return `[${kind.toUpperCase()}]`;
      });
    return out;
  };
  const redactValue = (value: unknown): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map(redactValue);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
    return value;
  };
  const redacted = traces.map((t) => {
    const before = counts.email + counts.phone + counts.key + counts.name;
    const next: Trace = {
      ...t,
      input: redactValue(t.input) as Record<string, unknown>,
      output: redactValue(t.output),
      metadata: redactValue(t.metadata) as Record<string, unknown>,
      feedback: t.feedback.map((f) => (f.comment ? { ...f, comment: redactText(f.comment) } : f)),
    };
    if (counts.email + counts.phone + counts.key + counts.name > before) touched++;
    return next;
  });
  return { traces: redacted, report: { counts, traces: touched } };
}
