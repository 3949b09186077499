import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import createWinkBm25 from 'wink-bm25-text-search';
import { openBm25Index } from '../../src/retrieval/bm25.ts';
import { tokenizeForBm25 } from '../../src/retrieval/tokenize.ts';
import { FapoError } from '../../src/util/errors.ts';

const DOCS = [
  { id: 'd0', title: 'Paris', text: 'The Seine river flows through Paris.' },
  { id: 'd1', title: 'Lyon', text: 'The Rhone and the Saone rivers meet in Lyon.' },
  { id: 'd2', title: 'Berlin', text: 'The Spree flows through Berlin.' },
  { id: 'd3', title: 'Cooking', text: 'Recipes for bread.' },
];
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

let dir: string;
let corpusPath: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fapo-bm25-'));
  corpusPath = join(dir, 'corpus.jsonl');
  await writeFile(corpusPath, jsonl(DOCS));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('tokenizeForBm25', () => {
  it('stems with current Snowball English, as PyStemmer 3 does', () => {
    // Snowball 2.x+ keeps "univers"/"organ" as R1 exceptions; the older Porter2 ports stem all these to "univers"/"organ".
    assert.deepEqual(tokenizeForBm25('universities universal universe organization', { stem: true, stopwords: true }), [
      'universiti',
      'universal',
      'univers',
      'organiz',
    ]);
  });
  it('lower-cases, drops one-letter tokens and bm25s stop words, then stems', () => {
    assert.deepEqual(tokenizeForBm25('The Rivers X flowing into a Sea', { stem: true, stopwords: true }), [
      'river',
      'flow',
      'sea',
    ]);
    assert.deepEqual(tokenizeForBm25('The Rivers X flowing into a Sea', { stem: false, stopwords: false }), [
      'the',
      'rivers',
      'flowing',
      'into',
      'sea',
    ]);
  });
});

describe('openBm25Index', () => {
  it('ranks with bm25s lucene scores (k1 0.9, b 0.4) checked by hand', async () => {
    const index = await openBm25Index({ name: 'tiny', corpusPath, storeDir: join(dir, 'store-a') });
    assert.equal(index.size, 4);
    const hits = index.search('rivers flowing through Paris', 10);
    // Documents (title | text) tokenize to lengths 6, 6, 5, 3 → avgdl 5. idf(df=2) = ln 2, idf(df=1) = ln(1 + 3.5/1.5).
    // d0: 3·ln2·1/(1 + 0.9·1.08) + ln(10/3)·2/(2 + 0.9·1.08); d2: 2·ln2·1/(1 + 0.9); d1: ln2·1/(1 + 0.9·1.08).
    assert.deepEqual(
      hits.map((h) => h.id),
      ['d0', 'd2', 'd1'],
    );
    const expected = [1.8646940412978816, 0.7296286111157319, 0.3514945134685321];
    hits.forEach(
      (h, i) => void assert.ok(Math.abs(h.score - expected[i]!) < 1e-6, `${h.id}: ${h.score} vs ${expected[i]}`),
    );
    assert.deepEqual(hits[0], { ...DOCS[0], score: hits[0]!.score });
    assert.equal(index.search('rivers flowing through Paris', 1).length, 1);
    assert.deepEqual(index.search('zebra', 5), []);
  });

  it('stems queries and documents only when stem is on', async () => {
    const stemmed = await openBm25Index({ name: 'tiny', corpusPath, storeDir: join(dir, 'store-b') });
    assert.deepEqual(
      stemmed.search('flowing', 5).map((h) => h.id),
      ['d2', 'd0'],
    );
    const plain = await openBm25Index({ name: 'tiny', corpusPath, storeDir: join(dir, 'store-b'), stem: false });
    assert.deepEqual(plain.search('flowing', 5), []);
    assert.deepEqual(
      plain.search('flows', 5).map((h) => h.id),
      ['d2', 'd0'],
    );
    assert.notEqual(plain.cachePath, stemmed.cachePath);
  });

  it('ignores stop words only when stopwords is on', async () => {
    const withStop = await openBm25Index({ name: 'tiny', corpusPath, storeDir: join(dir, 'store-c') });
    assert.deepEqual(withStop.search('the and', 5), []);
    const noStop = await openBm25Index({ name: 'tiny', corpusPath, storeDir: join(dir, 'store-c'), stopwords: false });
    // "and" occurs only in the Lyon paragraph.
    assert.equal(noStop.search('the and', 5)[0]!.id, 'd1');
  });

  it('breaks score ties by corpus order', async () => {
    const path = join(dir, 'ties.jsonl');
    await writeFile(
      path,
      jsonl([
        { id: 'z', title: 'Same', text: 'apple pie' },
        { id: 'a', title: 'Same', text: 'apple pie' },
        { id: 'm', title: 'Other', text: 'pear tart' },
      ]),
    );
    const index = await openBm25Index({ name: 'ties', corpusPath: path, storeDir: join(dir, 'store-d') });
    const hits = index.search('apple', 5);
    assert.deepEqual(
      hits.map((h) => h.id),
      ['z', 'a'],
    );
    assert.equal(hits[0]!.score, hits[1]!.score);
  });

  it("returns exactly what wink-bm25-text-search's own search returns (ids, order, scores to the bit)", async () => {
    // A corpus with a small vocabulary, so documents share terms, repeat them and tie.
    const words = [
      'river',
      'city',
      'bridge',
      'castle',
      'king',
      'queen',
      'war',
      'peace',
      'market',
      'harbour',
      'mountain',
      'forest',
      'the',
      'of',
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
    const docs = Array.from({ length: 300 }, (_, i) => ({
      id: `p${i}`,
      title: sentence(2),
      text: sentence(5 + Math.floor(next() * 30)),
    }));
    const path = join(dir, 'oracle.jsonl');
    await writeFile(path, jsonl(docs));
    const index = await openBm25Index({ name: 'oracle', corpusPath: path, storeDir: join(dir, 'store-oracle') });
    const wink = createWinkBm25();
    wink.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: 0.9, b: 0.4, k: 1 } });
    wink.definePrepTasks([(text: string) => tokenizeForBm25(text, { stem: true, stopwords: true })]);
    docs.forEach((d, i) => void wink.addDoc({ body: `${d.title} | ${d.text}` }, String(i)));
    wink.consolidate(9);
    for (let q = 0; q < 200; q++) {
      const query = sentence(1 + Math.floor(next() * 6));
      const k = q % 10 === 0 ? 100 + q : 1 + Math.floor(next() * 12); // and now and then past the insertion limit
      const expected = (wink.search(query, docs.length) as [string, number][])
        .map(([position, score]) => ({ position: Number(position), score: score / 1.9 }))
        .sort((a, b) => b.score - a.score || a.position - b.position)
        .slice(0, k)
        .map(({ position, score }) => ({ id: docs[position]!.id, score }));
      assert.deepEqual(
        index.search(query, k).map(({ id, score }) => ({ id, score })),
        expected,
        `query "${query}", k ${k}`,
      );
    }
  });

  it('persists the index and reloads it from the cache file without reading the corpus again', async () => {
    const storeDir = join(dir, 'store-e');
    const first = await openBm25Index({ name: 'wiki/para', corpusPath, storeDir });
    assert.equal(first.origin, 'built');
    assert.match(first.cachePath, /indexes[\\/]wiki_para-[0-9a-f]{16}\.json$/);
    // Mark the cached copy of d0: a reload that re-tokenized the corpus would not see the mark.
    const [header, docsLine, engine] = (await readFile(first.cachePath, 'utf8')).split('\n');
    const docs = JSON.parse(docsLine!);
    docs[0][2] = 'CACHED COPY';
    await writeFile(first.cachePath, [header, JSON.stringify(docs), engine].join('\n'));
    const second = await openBm25Index({ name: 'wiki/para', corpusPath, storeDir });
    assert.equal(second.origin, 'cache');
    assert.equal(second.cachePath, first.cachePath);
    const hit = second.search('Seine', 1)[0]!;
    assert.equal(hit.id, 'd0');
    assert.equal(hit.text, 'CACHED COPY');
    assert.equal(hit.score, first.search('Seine', 1)[0]!.score);
  });

  it('rebuilds when the corpus changes or the cache file is corrupt', async () => {
    const storeDir = join(dir, 'store-f');
    const path = join(dir, 'changing.jsonl');
    await writeFile(path, jsonl(DOCS));
    const a = await openBm25Index({ name: 'c', corpusPath: path, storeDir });
    await writeFile(a.cachePath, '{"broken": ');
    const b = await openBm25Index({ name: 'c', corpusPath: path, storeDir });
    assert.equal(b.origin, 'built');
    const [header, docs] = (await readFile(b.cachePath, 'utf8')).split('\n');
    await writeFile(b.cachePath, `${header}\n${docs}\n[1, 2]`);
    const damagedEngine = await openBm25Index({ name: 'c', corpusPath: path, storeDir });
    assert.equal(damagedEngine.origin, 'built');
    assert.equal(damagedEngine.search('Seine', 1)[0]!.id, 'd0');
    await writeFile(path, jsonl([...DOCS, { id: 'd4', title: 'Rome', text: 'The Tiber river.' }]));
    const c = await openBm25Index({ name: 'c', corpusPath: path, storeDir });
    assert.equal(c.origin, 'built');
    assert.equal(c.size, 5);
    assert.notEqual(c.cachePath, a.cachePath);
  });

  it('names file and line of a malformed corpus line', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${JSON.stringify(DOCS[0])}\n\n{"id": "x", "title": "No text"}\n`);
    await assert.rejects(
      openBm25Index({ name: 'bad', corpusPath: path, storeDir: join(dir, 'store-g') }),
      (err: unknown) => {
        assert.ok(err instanceof FapoError);
        assert.ok(err.message.includes(`${path}:3`), err.message);
        assert.match(err.message, /text/);
        return true;
      },
    );
    await writeFile(path, `${JSON.stringify(DOCS[0])}\nnot json\n`);
    await assert.rejects(
      openBm25Index({ name: 'bad', corpusPath: path, storeDir: join(dir, 'store-g') }),
      new RegExp(`${path.replace(/[.\\/]/g, '\\$&')}:2: not valid JSON`),
    );
    await writeFile(path, jsonl([DOCS[0], DOCS[1], DOCS[0]]));
    await assert.rejects(
      openBm25Index({ name: 'bad', corpusPath: path, storeDir: join(dir, 'store-g') }),
      /:3: duplicate document id "d0" \(first on line 1\)/,
    );
  });

  it('rejects a missing corpus file, a corpus too small to score, and out-of-range parameters', async () => {
    await assert.rejects(openBm25Index({ name: 'p', corpusPath, storeDir: dir, b: 1.5 }), /b in \[0, 1\]/);
    await assert.rejects(openBm25Index({ name: 'p', corpusPath, storeDir: dir, k1: 0 }), /k1 must be > 0/);
    await assert.rejects(
      openBm25Index({ name: 'gone', corpusPath: join(dir, 'nope.jsonl'), storeDir: dir }),
      FapoError,
    );
    const path = join(dir, 'two.jsonl');
    await writeFile(path, jsonl(DOCS.slice(0, 2)));
    await assert.rejects(openBm25Index({ name: 'two', corpusPath: path, storeDir: dir }), /at least 3/);
  });
});
