import { type Rng, choice, sample, weightedChoice } from './rng.ts';

/** What the merge needs to know about the candidates (indexes are candidate numbers). */
export interface MergeView {
  components: readonly string[];
  prompts: readonly Record<string, string>[];
  parents: readonly (readonly number[])[];
  aggregate: readonly number[];
}

/** The reference's bookkeeping of merges already tried: (i, j, ancestor) triples and (i, j, composition)s. */
export interface MergeMemory {
  triples: string[];
  compositions: string[];
}

export interface MergePlan {
  i: number;
  j: number;
  ancestor: number;
  prompts: Record<string, string>;
  /** Per component, the candidate whose text the child took. */
  takenFrom: number[];
}

export function ancestors(view: MergeView, node: number): Set<number> {
  const found = new Set<number>();
  const visit = (n: number) => {
    for (const p of view.parents[n] ?? []) {
      if (found.has(p)) continue;
      found.add(p);
      visit(p);
    }
  };
  visit(node);
  return found;
}

/** Desirable: for some component one descendant still has the ancestor's text and the other changed it. */
export function isDesirable(view: MergeView, ancestor: number, i: number, j: number): boolean {
  return view.components.some((c) => {
    const [a, x, y] = [view.prompts[ancestor]![c], view.prompts[i]![c], view.prompts[j]![c]];
    return (a === x || a === y) && x !== y;
  });
}

const tripleKey = (i: number, j: number, a: number) => `${i},${j},${a}`;

/** Picks i ≠ j (neither an ancestor of the other) and a qualifying common ancestor, weighted by its score. */
export function findCommonAncestorPair(
  rng: Rng,
  view: MergeView,
  pool: readonly number[],
  memory: MergeMemory,
  maxAttempts = 10,
): [number, number, number] | undefined {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (pool.length < 2) return undefined;
    let [i, j] = sample(rng, pool, 2) as [number, number];
    if (i === j) continue;
    if (j < i) [i, j] = [j, i];
    const ai = ancestors(view, i);
    const aj = ancestors(view, j);
    if (ai.has(j) || aj.has(i)) continue;
    const common = [...ai].filter(
      (a) =>
        aj.has(a) &&
        !memory.triples.includes(tripleKey(i, j, a)) &&
        view.aggregate[a]! <= view.aggregate[i]! &&
        view.aggregate[a]! <= view.aggregate[j]! &&
        isDesirable(view, a, i, j),
    );
    if (common.length > 0)
      return [
        i,
        j,
        weightedChoice(
          rng,
          common,
          common.map((a) => view.aggregate[a]!),
        ),
      ];
  }
  return undefined;
}

/**
 * The reference's system-aware merge: starting from the ancestor, per component take the side that
 * changed it; when both changed, the side with the higher aggregate score (random on a tie); when both
 * are identical, either. Compositions already tried are skipped. Needs at least 3 candidates.
 */
export function planMerge(
  rng: Rng,
  view: MergeView,
  pool: readonly number[],
  memory: MergeMemory,
  overlapOk: (i: number, j: number) => boolean,
  maxAttempts = 10,
): MergePlan | undefined {
  if (pool.length < 2 || view.prompts.length < 3) return undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const found = findCommonAncestorPair(rng, view, pool, memory);
    if (!found) continue;
    const [i, j, ancestor] = found;
    if (memory.triples.includes(tripleKey(i, j, ancestor))) continue;
    if (!overlapOk(i, j)) continue;
    const prompts = { ...view.prompts[ancestor]! };
    const takenFrom: number[] = [];
    for (const c of view.components) {
      const [a, x, y] = [view.prompts[ancestor]![c], view.prompts[i]![c], view.prompts[j]![c]];
      let from: number;
      if ((a === x || a === y) && x !== y) from = a === x ? j : i;
      else if (a !== x && a !== y) {
        const [si, sj] = [view.aggregate[i]!, view.aggregate[j]!];
        from = si > sj ? i : sj > si ? j : choice(rng, [i, j]);
      } else from = i;
      // A tool description neither side overrides stays the tool's own (no key in the prompt set).
      const text = view.prompts[from]![c];
      if (text === undefined) delete prompts[c];
      else prompts[c] = text;
      takenFrom.push(from);
    }
    const composition = `${i},${j},${takenFrom.join('/')}`;
    if (memory.compositions.includes(composition)) continue;
    memory.compositions.push(composition);
    return { i, j, ancestor, prompts, takenFrom };
  }
  return undefined;
}

export function rememberTriple(memory: MergeMemory, plan: Pick<MergePlan, 'i' | 'j' | 'ancestor'>): void {
  memory.triples.push(tripleKey(plan.i, plan.j, plan.ancestor));
}

/**
 * The merge gate's validation ids: up to `size` ids both parents scored, balanced across ids where
 * the first wins, where the second wins, and ties; topped up from the rest.
 */
export function mergeSubsample(
  rng: Rng,
  scoresI: Record<string, number>,
  scoresJ: Record<string, number>,
  size: number,
): string[] {
  const common = Object.keys(scoresI).filter((id) => id in scoresJ);
  const buckets = [
    common.filter((id) => scoresI[id]! > scoresJ[id]!),
    common.filter((id) => scoresI[id]! < scoresJ[id]!),
    common.filter((id) => scoresI[id] === scoresJ[id]),
  ];
  const perBucket = Math.max(1, Math.ceil(size / 3));
  const selected: string[] = [];
  for (const bucket of buckets) {
    if (selected.length >= size) break;
    const available = bucket.filter((id) => !selected.includes(id));
    const take = Math.min(available.length, perBucket, size - selected.length);
    if (take > 0) selected.push(...sample(rng, available, take));
  }
  const remaining = size - selected.length;
  const unused = common.filter((id) => !selected.includes(id));
  if (remaining > 0) {
    if (unused.length >= remaining) selected.push(...sample(rng, unused, remaining));
    else if (common.length > 0) for (let k = 0; k < remaining; k++) selected.push(choice(rng, common));
  }
  return selected.slice(0, size);
}
