/**
 * fapo's seeded randomness, in one place. Everything that draws (GEPA's parents and minibatches, the
 * sim stand-ins' noise) uses `randomFromKey`: a mulberry32 stream seeded by the SHA-256 of a key that
 * names the purpose, so each purpose has its own reproducible stream on every platform (a resumed
 * session that skips memoized draws still makes the same draws elsewhere).
 *
 * `lcg` is the one exception, kept because published artifacts depend on its exact sequence: the
 * benchmark splits committed under benchmarks/ were shuffled with it, and bootstrap intervals in
 * existing reports were drawn from it. Replacing it would silently reshuffle those splits.
 */
import { createHash } from 'node:crypto';

export type Rng = () => number;

/** mulberry32: a tiny, well-known 32-bit generator; these lines are lighter than a dependency. */
export function mulberry32(seed: number): Rng {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform [0,1) stream for one purpose, seeded by the SHA-256 of `key`. */
export function randomFromKey(key: string): Rng {
  return mulberry32(createHash('sha256').update(key).digest().readUInt32LE(0));
}

/** A seeded LCG (Numerical Recipes constants) returning floats in [0, 1); see the note above. */
export function lcg(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
