/**
 * Intent clusters without a model: each trace's input as a TF-IDF vector (stemmed words, stop words
 * dropped), grouped by leader clustering on cosine similarity in a fixed order, so the same traces
 * always give the same clusters. It is weaker than clustering model embeddings (paraphrases with no
 * word in common land apart) and says so in docs/assets.md; it needs no model and no network.
 *
 * Hand-written: the npm TF-IDF packages (natural, tiny-tfidf) bring their own tokenizers and no
 * sparse cosine, and k-means packages need k in advance; leader clustering is a few lines.
 */
import { tokenizeForBm25 } from '../retrieval/tokenize.ts';

type SparseVector = Map<string, number>;

export interface Cluster {
  id: string;
  /** Trace ids, in input order. */
  members: string[];
  /** The member closest to the cluster's centre: what a reviewer reads first. */
  representative: string;
  /** The centroid's heaviest terms, as a label for people. */
  terms: string[];
}

export function inputText(input: Record<string, unknown>): string {
  return Object.values(input)
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join(' ');
}

/** Redaction markers say nothing of intent: traces that had an e-mail address must not cluster by it. */
const MARKERS = /\[(?:EMAIL|PHONE|KEY|NAME)\]/g;
export function intentText(input: Record<string, unknown>): string {
  return inputText(input).replace(MARKERS, ' ');
}

function tfidfVectors(texts: readonly string[]): SparseVector[] {
  // Numbers are ids (orders, tickets), not intents: each is rare, so it would outweigh every shared word.
  const docs = texts.map((t) => tokenizeForBm25(t, { stem: true, stopwords: true }).filter((w) => !/^\d+$/.test(w)));
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
  return docs.map((doc) => {
    const tf = new Map<string, number>();
    for (const term of doc) tf.set(term, (tf.get(term) ?? 0) + 1);
    const v: SparseVector = new Map();
    let norm = 0;
    for (const [term, count] of tf) {
      const w = count * Math.log((1 + docs.length) / (1 + df.get(term)!)) + count * 1e-6;
      v.set(term, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [term, w] of v) v.set(term, w / norm);
    return v;
  });
}

function dot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [term, w] of small) {
    const other = large.get(term);
    if (other !== undefined) sum += w * other;
  }
  return sum;
}

function normalized(v: SparseVector): SparseVector {
  let norm = 0;
  for (const w of v.values()) norm += w * w;
  norm = Math.sqrt(norm) || 1;
  return new Map([...v].map(([t, w]) => [t, w / norm]));
}

/**
 * Each item joins the most similar cluster whose centroid it meets at `threshold` or above, else
 * starts one; centroids are running sums. Items are taken in the order given.
 */
export function clusterTexts(items: readonly { id: string; text: string }[], threshold: number): Cluster[] {
  const vectors = tfidfVectors(items.map((i) => i.text));
  const sums: SparseVector[] = [];
  const centroids: SparseVector[] = [];
  const members: number[][] = [];
  vectors.forEach((v, i) => {
    let best = -1;
    let bestSim = threshold;
    centroids.forEach((c, k) => {
      const sim = dot(v, c);
      if (sim >= bestSim) {
        best = k;
        bestSim = sim;
      }
    });
    if (best < 0) {
      sums.push(new Map(v));
      centroids.push(v);
      members.push([i]);
      return;
    }
    const sum = sums[best]!;
    for (const [term, w] of v) sum.set(term, (sum.get(term) ?? 0) + w);
    centroids[best] = normalized(sum);
    members[best]!.push(i);
  });
  return members.map((idx, k) => {
    const centroid = centroids[k]!;
    const rep = idx.reduce((a, b) => (dot(vectors[b]!, centroid) > dot(vectors[a]!, centroid) ? b : a));
    const terms = [...centroid]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([t]) => t);
    return { id: `c${k + 1}`, members: idx.map((i) => items[i]!.id), representative: items[rep]!.id, terms };
  });
}
