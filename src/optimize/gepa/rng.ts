import { randomFromKey, type Rng } from '../../util/random.ts';

export type { Rng } from '../../util/random.ts';

/**
 * A seeded uniform generator in [0,1) for one named purpose (e.g. `parent:i7`). Each purpose gets its
 * own stream derived from the session seed, so a resumed session that skips a memoized stage (and the
 * draws inside it) still makes exactly the same draws everywhere else.
 */
export function rngFor(seed: number, purpose: string): Rng {
  return randomFromKey(`${seed}\u0000${purpose}`);
}

/** Python's `rng.choice`. */
export function choice<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('choice from an empty list');
  return items[Math.floor(rng() * items.length)]!;
}

/** Python's `rng.choices(items, weights, k=1)[0]`; all-zero weights fall back to a uniform draw. */
export function weightedChoice<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return choice(rng, items);
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Fisher–Yates shuffle (a copy), as Python's `rng.shuffle`. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Python's `rng.sample(items, k)`: k distinct items. */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  return shuffled(rng, items).slice(0, k);
}
