/** The texts of a variant that reach the task model or run as code: what leakage scans. */
import type { LeakageOracle, LeakHit } from './leakage-oracle.ts';

interface VariantContent {
  chainSource: string;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
}

interface ScanOptions {
  prompts: boolean;
  chainSource: boolean;
  params: boolean;
}

function texts(v: VariantContent, what: ScanOptions): Map<string, string> {
  const out = new Map<string, string>();
  if (what.prompts) for (const [name, text] of Object.entries(v.prompts)) out.set(`prompt '${name}'`, text);
  if (what.chainSource) out.set('chain source', v.chainSource);
  if (what.params) {
    for (const [key, value] of Object.entries(v.params))
      out.set(`param '${key}'`, typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
  }
  return out;
}

export interface LocatedHit extends LeakHit {
  location: string;
  /** The parent variant already had this match at the same place: not introduced by the proposal. */
  inherited: boolean;
}

const hitKey = (h: LeakHit): string => `${h.split}\u0000${h.caseId}\u0000${h.field}`;

export function scanVariant(
  proposal: VariantContent,
  parent: VariantContent,
  oracle: LeakageOracle,
  what: ScanOptions,
): LocatedHit[] {
  const parentTexts = texts(parent, what);
  const out: LocatedHit[] = [];
  for (const [location, text] of texts(proposal, what)) {
    const before = parentTexts.get(location);
    const hits = oracle.findLeaks(text);
    if (hits.length === 0) continue;
    const inheritedKeys = new Set(
      before === text ? hits.map(hitKey) : before === undefined ? [] : oracle.findLeaks(before).map(hitKey),
    );
    for (const hit of hits) out.push({ ...hit, location, inherited: inheritedKeys.has(hitKey(hit)) });
  }
  return out;
}
