import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import createWinkBm25 from 'wink-bm25-text-search';
import { z } from 'zod';
import { FapoError } from '../util/errors.ts';
import { parseCorpus, type CorpusDoc } from './corpus.ts';
import { ScoredPostings } from './postings.ts';
import { tokenizeForBm25, type TokenizeOptions } from './tokenize.ts';
import type { Passage, Retriever } from './types.ts';

/*
 * Scoring reproduces bm25s's default method "lucene" (the variant GEPA's langProBe retriever uses):
 *   score(q, d) = Σ_{t ∈ q} ln(1 + (N − df_t + 0.5) / (df_t + 0.5)) · tf / (tf + k1 · (1 − b + b · |d| / avgdl))
 * The IDF is Lucene's ln(1 + …) form (bm25s `_score_idf_lucene`): it is never negative, so a term present
 * in most paragraphs still adds a little instead of pushing a document down. |d| counts tokens after
 * stop-word removal, with repeats; a query term that occurs twice counts twice, as in bm25s.
 *
 * Engine: wink-bm25-text-search computes exactly this with its IDF smoothing k = 1, except that each term
 * score carries the constant factor (k1 + 1) and is rounded to 9 decimals; we divide the factor out so
 * scores are on bm25s's scale. wink builds the index; queries run on its consolidated term scores
 * through ScoredPostings (postings.ts), much faster than wink's own search. minisearch (the other
 * tested library) was rejected because it multiplies a document's score by the number of matched query terms and measures field length in unique tokens,
 * which changes rankings; okapibm25 re-tokenizes the whole corpus on every query and cannot persist.
 */

// Part of the cache key: bump it whenever tokenization, scoring or the file layout changes.
const FORMAT_VERSION = 3;
// wink keeps this many decimals of every precomputed term score (its maximum).
const SCORE_DECIMALS = 9;
// wink cannot compute statistics for fewer documents than this.
const MIN_DOCUMENTS = 3;
const FIELD = 'body';

export interface Bm25Settings extends TokenizeOptions {
  k1: number;
  b: number;
}

export interface OpenBm25Options extends Partial<Bm25Settings> {
  /** Resource name; also names the cache file. */
  name: string;
  /** JSONL of `{id, title, text}`. */
  corpusPath: string;
  /** The index is cached under `<storeDir>/indexes/`. */
  storeDir: string;
}

export interface Bm25Index extends Retriever {
  readonly size: number;
  /** Whether this open built the index or loaded it from the cache file. */
  readonly origin: 'built' | 'cache';
  readonly cachePath: string;
  readonly settings: Bm25Settings;
}

export const DEFAULT_BM25_SETTINGS: Bm25Settings = { k1: 0.9, b: 0.4, stem: true, stopwords: true };

const CacheHeaderSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  corpusSha256: z.string(),
  settings: z.object({ k1: z.number(), b: z.number(), stem: z.boolean(), stopwords: z.boolean() }),
});
/** `[id, title, text]` in corpus order; the engine refers to documents by position. */
const CacheDocsSchema = z.array(z.tuple([z.string(), z.string(), z.string()]));

/**
 * The cache file holds three JSON lines: header, documents, and the scored postings. Keeping the
 * postings as a raw line (not a string inside another JSON value) avoids escaping it and parsing it twice.
 */
interface CacheFile {
  header: z.infer<typeof CacheHeaderSchema>;
  docs: z.infer<typeof CacheDocsSchema>;
  postings: string;
}

/** Open (building and caching on first use) a BM25 index over a JSONL corpus. */
export async function openBm25Index(options: OpenBm25Options): Promise<Bm25Index> {
  const settings: Bm25Settings = {
    k1: options.k1 ?? DEFAULT_BM25_SETTINGS.k1,
    b: options.b ?? DEFAULT_BM25_SETTINGS.b,
    stem: options.stem ?? DEFAULT_BM25_SETTINGS.stem,
    stopwords: options.stopwords ?? DEFAULT_BM25_SETTINGS.stopwords,
  };
  // wink silently replaces out-of-range parameters with its defaults, so they are checked here.
  if (!(settings.k1 > 0) || !(settings.b >= 0 && settings.b <= 1)) {
    throw new FapoError(
      `BM25 resource "${options.name}": k1 must be > 0 and b in [0, 1] (got k1 ${settings.k1}, b ${settings.b})`,
    );
  }
  let corpusBytes: Buffer;
  try {
    corpusBytes = await readFile(options.corpusPath);
  } catch (err) {
    throw new FapoError(
      `BM25 resource "${options.name}": cannot read corpus ${options.corpusPath} (${(err as Error).message})`,
    );
  }
  const corpusSha256 = createHash('sha256').update(corpusBytes).digest('hex');
  const cachePath = join(
    options.storeDir,
    'indexes',
    `${safeFileName(options.name)}-${cacheKey(corpusSha256, settings)}.json`,
  );

  const cached = await readCacheFile(cachePath, corpusSha256);
  if (cached) {
    try {
      return makeIndex(
        options.name,
        cached,
        ScoredPostings.fromJSON(cached.postings, cached.docs.length),
        'cache',
        cachePath,
        settings,
      );
    } catch {
      // damaged postings: rebuild below
    }
  }

  const docs = parseCorpus(corpusBytes.toString('utf8'), options.corpusPath);
  const { file, postings } = buildCacheFile(docs, corpusSha256, settings, options);
  await mkdir(join(options.storeDir, 'indexes'), { recursive: true });
  // Write then rename so a concurrent reader never sees half a file.
  const tmp = `${cachePath}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file.header)}\n${JSON.stringify(file.docs)}\n${file.postings}`);
  await rename(tmp, cachePath);
  return makeIndex(options.name, file, postings, 'built', cachePath, settings);
}

function cacheKey(corpusSha256: string, s: Bm25Settings): string {
  const identity = JSON.stringify({
    v: FORMAT_VERSION,
    corpusSha256,
    k1: s.k1,
    b: s.b,
    stem: s.stem,
    stopwords: s.stopwords,
  });
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** A missing, unreadable or stale cache file is a cache miss: the index is rebuilt and the file replaced. */
async function readCacheFile(path: string, corpusSha256: string): Promise<CacheFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const firstBreak = text.indexOf('\n');
  const secondBreak = text.indexOf('\n', firstBreak + 1);
  if (firstBreak === -1 || secondBreak === -1) return null;
  try {
    const header = CacheHeaderSchema.safeParse(JSON.parse(text.slice(0, firstBreak)));
    if (!header.success || header.data.corpusSha256 !== corpusSha256) return null;
    const docs = CacheDocsSchema.safeParse(JSON.parse(text.slice(firstBreak + 1, secondBreak)));
    return docs.success ? { header: header.data, docs: docs.data, postings: text.slice(secondBreak + 1) } : null;
  } catch {
    return null;
  }
}

function buildCacheFile(
  docs: CorpusDoc[],
  corpusSha256: string,
  settings: Bm25Settings,
  options: OpenBm25Options,
): { file: CacheFile; postings: ScoredPostings } {
  if (docs.length < MIN_DOCUMENTS) {
    throw new FapoError(
      `BM25 resource "${options.name}": corpus ${options.corpusPath} has ${docs.length} document(s); at least ${MIN_DOCUMENTS} are needed`,
      'Add documents to the corpus.',
    );
  }
  const engine = newEngine(settings);
  // GEPA's retriever indexes "title | text" and recovers the title from the part before " | ".
  for (const [i, doc] of docs.entries()) engine.addDoc({ [FIELD]: `${doc.title} | ${doc.text}` }, String(i));
  engine.consolidate(SCORE_DECIMALS);
  const postings = ScoredPostings.fromWink(engine.exportJSON(), docs.length);
  const file: CacheFile = {
    header: { formatVersion: FORMAT_VERSION, corpusSha256, settings },
    docs: docs.map((d) => [d.id, d.title, d.text]),
    postings: postings.toJSON(),
  };
  return { file, postings };
}

function newEngine(settings: Bm25Settings) {
  const engine = createWinkBm25();
  engine.defineConfig({ fldWeights: { [FIELD]: 1 }, bm25Params: { k1: settings.k1, b: settings.b, k: 1 } });
  // Prep tasks are functions, so they are not part of an exported index; every engine gets them here.
  engine.definePrepTasks([(text) => tokenizeForBm25(text, settings)]);
  return engine;
}

function makeIndex(
  name: string,
  file: CacheFile,
  postings: ScoredPostings,
  origin: Bm25Index['origin'],
  cachePath: string,
  settings: Bm25Settings,
): Bm25Index {
  const docs = file.docs;
  const scale = settings.k1 + 1;
  return {
    name,
    // What decides the results (corpus and settings), not the file format: a format change keeps runs.
    fingerprint: `bm25/${createHash('sha256')
      .update(JSON.stringify({ corpus: file.header.corpusSha256, ...settings }))
      .digest('hex')}`,
    size: docs.length,
    origin,
    cachePath,
    settings,
    search(query: string, k: number): Passage[] {
      if (!Number.isInteger(k) || k < 1) return [];
      // The query goes through the same tokenizer wink applied to the documents.
      return postings.search(tokenizeForBm25(query, settings), k, scale).map(({ position, score }) => {
        const [id, title, text] = docs[position]!;
        return { id, title, text, score };
      });
    },
  };
}
