// Build time, cache-load time and query latency of the BM25 index over the HotpotQA paragraph corpus.
// Usage: tsx scripts/bench-retrieval.ts   (reads benchmarks/hotpotqa/data/, writes its index to a temp dir)
// --quick indexes the corpus's first 500 paragraphs and asks 50 questions.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { titleCoverage } from '../src/bench/metrics/retrieval.ts';
import { quantileSorted } from '../src/eval/stats.ts';
import { openBm25Index } from '../src/retrieval/bm25.ts';
import { QUICK } from './quick.ts';

const dataDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'benchmarks', 'hotpotqa', 'data');
const storeDir = mkdtempSync(join(tmpdir(), 'fapo-bench-retrieval-'));
const K = 7;
const fullCorpus = join(dataDir, 'corpus.jsonl');
const corpusPath = QUICK ? join(storeDir, 'corpus-head.jsonl') : fullCorpus;
if (QUICK) writeFileSync(corpusPath, `${readFileSync(fullCorpus, 'utf8').split('\n').slice(0, 500).join('\n')}\n`);

try {
  let t = performance.now();
  const built = await openBm25Index({ name: 'hotpotqa', corpusPath, storeDir });
  const buildMs = performance.now() - t;
  t = performance.now();
  const index = await openBm25Index({ name: 'hotpotqa', corpusPath, storeDir });
  const loadMs = performance.now() - t;
  if (built.origin !== 'built' || index.origin !== 'cache') throw new Error('expected a build, then a cache load');

  const cases = ['train', 'val', 'test']
    .flatMap((split) =>
      readFileSync(join(dataDir, `${split}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { input: { question: string }; metadata: { supportingTitles: string[] } }),
    )
    .slice(0, QUICK ? 50 : undefined);
  const latencies: number[] = [];
  let recallSum = 0;
  let allFound = 0;
  for (const c of cases) {
    const start = performance.now();
    const hits = index.search(c.input.question, K);
    latencies.push(performance.now() - start);
    const cov = titleCoverage(c.metadata.supportingTitles, hits);
    recallSum += cov.recall;
    if (cov.missing.length === 0) allFound++;
  }
  latencies.sort((a, b) => a - b);
  const cacheBytes = readFileSync(index.cachePath).length;
  console.log(`corpus: ${index.size} paragraphs (${corpusPath})`);
  console.log(
    `build (tokenize + index + write cache): ${buildMs.toFixed(0)} ms; cache file ${(cacheBytes / 1e6).toFixed(1)} MB`,
  );
  console.log(`load from cache: ${loadMs.toFixed(0)} ms`);
  console.log(
    `queries: ${latencies.length} HotpotQA questions, k = ${K}: p50 ${quantileSorted(latencies, 0.5).toFixed(2)} ms, p99 ${quantileSorted(latencies, 0.99).toFixed(2)} ms`,
  );
  console.log(
    `hop-1 diagnostic (raw question, top ${K}): gold-title recall ${(recallSum / cases.length).toFixed(3)}, all gold titles found ${(allFound / cases.length).toFixed(3)}`,
  );
} finally {
  rmSync(storeDir, { recursive: true, force: true });
}
