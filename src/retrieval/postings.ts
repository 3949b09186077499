import { z } from 'zod';

/**
 * The parts of wink-bm25-text-search's export that scoring needs: `documents[id].freq[token]` holds a
 * consolidated term score (IDF and the BM25 saturation already applied), `token2Index` maps tokens to
 * the numbers used as `freq` keys.
 */
const WinkExportSchema = z
  .tuple([
    z.unknown(), // config
    z.unknown(), // document statistics
    z.record(z.string(), z.object({ freq: z.record(z.string(), z.number()) })),
    z.unknown(), // inverted index (ids only: rebuilt here with scores)
    z.number(),
    z.record(z.string(), z.number()), // token2Index
  ])
  .rest(z.unknown());

/** The persisted form: tokens, and per token its document positions and term scores. */
const PostingsFileSchema = z.tuple([z.array(z.string()), z.array(z.array(z.number())), z.array(z.array(z.number()))]);

/**
 * Term-at-a-time BM25 search over wink's consolidated term scores, in typed arrays. wink's own
 * `search` keeps scores in a string-keyed object, turns every matching document into a row and sorts
 * them all: 6.9 ms a query on the 10,785-paragraph HotpotQA corpus, 0.2 ms here
 * (`npm run bench:retrieval`). The sums are the same floating-point additions in the same order, so
 * scores are bit-identical to wink's (test/retrieval/bm25.test.ts compares the two).
 */
export class ScoredPostings {
  private readonly tokenIds: Map<string, number>;
  private readonly acc: Float64Array;
  private readonly seen: Uint8Array;

  private constructor(
    private readonly tokens: string[],
    private readonly docs: Int32Array[],
    private readonly scores: Float64Array[],
    documentCount: number,
  ) {
    this.tokenIds = new Map(tokens.map((token, i) => [token, i]));
    this.acc = new Float64Array(documentCount);
    this.seen = new Uint8Array(documentCount);
  }

  /** From wink's export after `consolidate()` (index build time). */
  static fromWink(winkExport: string, documentCount: number): ScoredPostings {
    const [, , documents, , , token2Index] = WinkExportSchema.parse(JSON.parse(winkExport));
    const tokens: string[] = [];
    for (const [token, t] of Object.entries(token2Index)) tokens[t] = token;
    const docs: number[][] = tokens.map(() => []);
    const scores: number[][] = tokens.map(() => []);
    // Integer-like keys iterate in ascending order, so each token's postings come in document order.
    for (const [id, { freq }] of Object.entries(documents)) {
      for (const [token, score] of Object.entries(freq)) {
        docs[Number(token)]!.push(Number(id));
        scores[Number(token)]!.push(score);
      }
    }
    return new ScoredPostings(
      tokens,
      docs.map((d) => Int32Array.from(d)),
      scores.map((s) => Float64Array.from(s)),
      documentCount,
    );
  }

  /** One JSON line for the index cache file (JSON numbers round-trip doubles exactly). */
  toJSON(): string {
    return JSON.stringify([this.tokens, this.docs.map((d) => Array.from(d)), this.scores.map((s) => Array.from(s))]);
  }

  /** From `toJSON()`'s line; throws on a damaged line (the caller then rebuilds the index). */
  static fromJSON(line: string, documentCount: number): ScoredPostings {
    const [tokens, docs, scores] = PostingsFileSchema.parse(JSON.parse(line));
    if (docs.length !== tokens.length || scores.length !== tokens.length)
      throw new Error('damaged BM25 postings: lengths differ');
    const typedDocs = docs.map((d, t) => {
      const typed = Int32Array.from(d);
      if (typed.length !== scores[t]!.length || typed.some((p, i) => p !== d[i] || p < 0 || p >= documentCount)) {
        throw new Error(`damaged BM25 postings for token "${tokens[t]}"`);
      }
      return typed;
    });
    return new ScoredPostings(
      tokens,
      typedDocs,
      scores.map((s) => Float64Array.from(s)),
      documentCount,
    );
  }

  /**
   * The `k` best document positions, best first, with their summed term scores divided by `divisor`;
   * ranked on the divided scores, so two sums that divide to the same number tie (and the earlier
   * document wins), as when wink's results were divided and then sorted.
   */
  search(queryTokens: readonly string[], k: number, divisor = 1): { position: number; score: number }[] {
    const touched: number[] = [];
    for (const token of queryTokens) {
      const t = this.tokenIds.get(token);
      if (t === undefined) continue;
      const docs = this.docs[t]!;
      const scores = this.scores[t]!;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i]!;
        if (this.seen[d] === 0) {
          this.seen[d] = 1;
          touched.push(d);
          this.acc[d] = scores[i]!;
        } else {
          this.acc[d] = scores[i]! + this.acc[d]!;
        }
      }
    }
    for (const d of touched) this.acc[d] = this.acc[d]! / divisor;
    const best = topK(touched, this.acc, k);
    for (const d of touched) this.seen[d] = 0;
    return best;
  }
}

/** Beyond this k, sorting all matches beats insertion into the kept list. */
const INSERTION_MAX_K = 64;

/** The k best of `positions`: insertion into a small sorted array for the usual handful of passages. */
function topK(positions: number[], score: Float64Array, k: number): { position: number; score: number }[] {
  const better = (a: number, b: number) => score[a]! > score[b]! || (score[a] === score[b] && a < b);
  if (k > INSERTION_MAX_K) {
    return positions
      .sort((a, b) => score[b]! - score[a]! || a - b)
      .slice(0, k)
      .map((position) => ({ position, score: score[position]! }));
  }
  const kept: number[] = [];
  for (const d of positions) {
    if (kept.length === k && !better(d, kept[k - 1]!)) continue;
    let i = Math.min(kept.length, k - 1);
    if (kept.length < k) kept.push(d);
    while (i > 0 && better(d, kept[i - 1]!)) {
      kept[i] = kept[i - 1]!;
      i--;
    }
    kept[i] = d;
  }
  return kept.map((position) => ({ position, score: score[position]! }));
}
