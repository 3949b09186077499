/** The candidate tree of a lineage (GEPA), shared by the Markdown and HTML renderings. */
import type { GepaLineage } from '../gepa/state.ts';
import type { LineageInput } from './types.ts';

type Candidate = LineageInput['candidates'][number];

export interface LineageNode {
  candidate: Candidate;
  /** Parents other than the one the node hangs under (a merge's second parent). */
  otherParents: string[];
  children: LineageNode[];
}

/** Hangs each candidate under its first known parent; candidates without one are roots. */
export function lineageForest(lineage: LineageInput): LineageNode[] {
  const ids = new Set(lineage.candidates.map((c) => c.id));
  const nodes = new Map(
    lineage.candidates.map((c) => [
      c.id,
      { candidate: c, otherParents: [] as string[], children: [] as LineageNode[] },
    ]),
  );
  const roots: LineageNode[] = [];
  for (const c of lineage.candidates) {
    const node = nodes.get(c.id)!;
    const known = c.parents.filter((p) => ids.has(p) && p !== c.id);
    node.otherParents = known.slice(1);
    if (known.length === 0) roots.push(node);
    else nodes.get(known[0]!)!.children.push(node);
  }
  return roots;
}

export const candidateLabel = (c: Candidate): string => c.label ?? c.id;

/** Adapts GEPA's lineage data (src/optimize/gepa/state.ts) to the report's loose shape. */
export function lineageFromGepa(lineage: GepaLineage): LineageInput {
  return {
    candidates: lineage.nodes.map((n) => ({
      id: String(n.index),
      parents: n.parents.map(String),
      valMean: n.valMean,
      accepted: true,
      label: `#${n.index} v${n.seq} (${n.origin}${n.changed.length ? `: ${n.changed.join(', ')}` : ''})`,
      best: n.isBest,
    })),
  };
}
