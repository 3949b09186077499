import { type Rng, choice } from './rng.ts';

/** Per validation instance: the best score seen and the candidates (indexes) that reach it. */
export type InstanceFronts = Record<string, { best: number; programs: number[] }>;

/** Adds a candidate's per-instance scores: a strictly better score replaces a front, an equal one joins it. */
export function updateFronts(fronts: InstanceFronts, program: number, scores: Record<string, number>): void {
  for (const [id, score] of Object.entries(scores)) {
    const front = fronts[id];
    if (!front || score > front.best) fronts[id] = { best: score, programs: [program] };
    else if (score === front.best && !front.programs.includes(program)) front.programs.push(program);
  }
}

/**
 * The reference's set-cover domination: visiting programs in ascending aggregate score (stable), a
 * program is removed when every front containing it also contains another surviving program; repeat
 * until nothing more can be removed. Returns the fronts restricted to the survivors.
 */
export function removeDominated(
  fronts: InstanceFronts,
  aggregate: (program: number) => number,
): Record<string, number[]> {
  const firstSeen: number[] = [];
  for (const front of Object.values(fronts))
    for (const p of front.programs) if (!firstSeen.includes(p)) firstSeen.push(p);
  const programs = firstSeen
    .map((p, i) => ({ p, i }))
    .sort((a, b) => aggregate(a.p) - aggregate(b.p) || a.i - b.i)
    .map((x) => x.p);
  const dominated = new Set<number>();
  const isDominated = (y: number): boolean =>
    Object.values(fronts)
      .filter((f) => f.programs.includes(y))
      .every((f) => f.programs.some((o) => o !== y && !dominated.has(o)));
  for (let removed = true; removed; ) {
    removed = false;
    for (const y of programs) {
      if (dominated.has(y) || !isDominated(y)) continue;
      dominated.add(y);
      removed = true;
      break;
    }
  }
  return Object.fromEntries(Object.entries(fronts).map(([id, f]) => [id, f.programs.filter((p) => !dominated.has(p))]));
}

/** How many (undominated) fronts each surviving program is on, in order of first appearance. */
export function frontFrequencies(fronts: InstanceFronts, aggregate: (program: number) => number): Map<number, number> {
  const freq = new Map<number, number>();
  for (const programs of Object.values(removeDominated(fronts, aggregate)))
    for (const p of programs) freq.set(p, (freq.get(p) ?? 0) + 1);
  return freq;
}

/** The Pareto parent: drawn with probability proportional to the number of fronts it is on. */
export function selectParent(rng: Rng, fronts: InstanceFronts, aggregate: (program: number) => number): number {
  const list: number[] = [];
  for (const [p, n] of frontFrequencies(fronts, aggregate)) for (let k = 0; k < n; k++) list.push(p);
  return choice(rng, list);
}
