import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { type NewVariant, resultKey, Store } from '../../src/eval/store.ts';
import { variantHash } from '../../src/eval/variant.ts';
import { FapoError } from '../../src/util/errors.ts';
import { newVariant, result, spec, tempWorkspace } from './helpers.ts';

test('open creates .fapo/store.sqlite in WAL mode', () => {
  const ws = tempWorkspace();
  const store = Store.open(ws);
  store.close();
  const path = join(ws, '.fapo', 'store.sqlite');
  assert.ok(existsSync(path));
  const db = new Database(path);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '1');
  db.close();
});

test('a workspace path that cannot hold a store gives a FapoError', () => {
  const file = join(tempWorkspace(), 'not-a-dir');
  writeFileSync(file, '');
  assert.throws(
    () => Store.open(file),
    (e: unknown) => e instanceof FapoError && /cannot open the workspace store/.test(e.message),
  );
});

test('a corrupt store file gives a FapoError', () => {
  const ws = tempWorkspace();
  mkdirSync(join(ws, '.fapo'));
  writeFileSync(join(ws, '.fapo', 'store.sqlite'), 'this is not a database, just text that is long enough '.repeat(20));
  assert.throws(
    () => Store.open(ws),
    (e: unknown) => e instanceof FapoError && /cannot use the workspace store/.test(e.message),
  );
});

test('a store written by a newer schema version is refused', () => {
  const ws = tempWorkspace();
  Store.open(ws).close();
  const db = new Database(join(ws, '.fapo', 'store.sqlite'));
  db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  db.close();
  assert.throws(
    () => Store.open(ws),
    (e: unknown) => e instanceof FapoError && /schema version 99/.test(e.message),
  );
});

test('putVariant is idempotent by hash and numbers variants 1, 2, 3', () => {
  const store = Store.open(tempWorkspace());
  const base = store.putVariant({ ...newVariant('Answer: ${input.q}'), createdAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(base.seq, 1);
  const again = store.putVariant({ ...newVariant('Answer: ${input.q}'), createdBy: 'someone else' });
  assert.deepEqual(again, base);
  const v2 = store.putVariant(newVariant('Think, then answer: ${input.q}', base.hash));
  const v3 = store.putVariant(newVariant('Answer briefly: ${input.q}', v2.hash));
  assert.deepEqual(
    store.listVariants().map((v) => [v.seq, v.hash]),
    [
      [1, base.hash],
      [2, v2.hash],
      [3, v3.hash],
    ],
  );
  assert.equal(v3.parent, v2.hash);
  assert.equal(v3.level, 'prompt');
  assert.equal(v3.hash, variantHash(v3));
  store.close();
});

test('putVariant rejects a hash that does not match the content', () => {
  const store = Store.open(tempWorkspace());
  assert.throws(() => store.putVariant({ ...newVariant('x'), hash: 'b'.repeat(64) }), FapoError);
  store.close();
});

test('getVariant resolves full hashes, prefixes and sequence numbers', () => {
  const store = Store.open(tempWorkspace());
  const variants = Array.from({ length: 40 }, (_, i) => store.putVariant(newVariant(`prompt ${i}`)));
  const v7 = variants[6]!;
  assert.equal(store.getVariant(v7.hash)?.seq, 7);
  assert.equal(store.getVariant(v7.hash.slice(0, 12))?.seq, 7);
  assert.equal(store.getVariant(v7.hash.slice(0, 12).toUpperCase())?.seq, 7);
  assert.equal(store.getVariant('7')?.hash, v7.hash);
  assert.equal(store.getVariant('v7')?.hash, v7.hash);
  assert.equal(store.getVariant('v41'), undefined);
  assert.equal(store.getVariant(`${'ffffffffff'.slice(0, 6)}0000`), undefined);
  assert.throws(() => store.getVariant('abc'), FapoError);
  assert.throws(() => store.getVariant('not-a-ref'), FapoError);

  // Search deterministically for two contents whose hashes share their first 6 characters
  // (the birthday bound makes this take a few thousand hashes).
  const mk = (p: string): NewVariant => {
    const content = { chainPath: 'c.ts', chainSource: 'x', prompts: { p }, params: {} };
    return { ...content, hash: variantHash(content), parent: null, level: 'baseline', createdBy: 't' };
  };
  const seen = new Map<string, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair && i < 50000; i++) {
    const p = variantHash(mk(String(i))).slice(0, 6);
    const earlier = seen.get(p);
    if (earlier !== undefined) pair = [earlier, String(i)];
    seen.set(p, String(i));
  }
  assert.ok(pair, 'no colliding prefix found');
  const a = store.putVariant(mk(pair[0]));
  const b = store.putVariant(mk(pair[1]));
  const shared = a.hash.slice(0, 6);
  assert.equal(b.hash.slice(0, 6), shared);
  assert.throws(
    () => store.getVariant(shared),
    (e: unknown) => e instanceof FapoError && /ambiguous/.test(e.message),
  );
  assert.equal(store.getVariant(a.hash.slice(0, 16))?.hash, a.hash);
  store.close();
});

test('run identity ignores purpose and opening the same spec resumes the run', () => {
  const store = Store.open(tempWorkspace());
  const s = spec(['c1', 'c2']);
  const run = store.openRun({ ...s, purpose: 'eval' });
  assert.equal(run.state, 'running');
  assert.equal(store.runIdentity(s), store.runIdentity({ ...s, purpose: 'optimize:abc' }));
  assert.notEqual(store.runIdentity(s), store.runIdentity({ ...s, trials: 3 }));
  assert.notEqual(store.runIdentity(s), store.runIdentity({ ...s, caseIds: ['c2', 'c1'] }));
  const resumed = store.openRun({ ...s, purpose: 'optimize:abc' });
  assert.equal(resumed.id, run.id);
  assert.equal(resumed.spec.purpose, 'eval');
  const other = store.openRun({ ...s, split: 'test' });
  assert.notEqual(other.id, run.id);

  store.putResults(run.id, [result('c1', 0, 'ok', 1), result('c2', 0, 'infra_error'), result('c1', 1, 'task_error')]);
  assert.deepEqual(store.doneKeys(run.id), new Set([resultKey('c1', 0), resultKey('c1', 1)]));
  // The retried infra error succeeds: upsert replaces it.
  store.putResult(run.id, result('c2', 0, 'ok', 0.5));
  assert.equal(store.doneKeys(run.id).size, 3);
  assert.equal([...store.results(run.id)].length, 3);

  const done = store.setRunState(run.id, 'complete');
  assert.equal(done.state, 'complete');
  assert.ok(done.finishedAt);
  assert.deepEqual(
    store.listRuns({ split: 'test' }).map((r) => r.id),
    [other.id],
  );
  assert.deepEqual(
    store.listRuns({ variant: s.variant }).map((r) => r.id),
    [run.id, other.id],
  );
  assert.throws(() => store.setRunState('nope', 'failed'), FapoError);
  assert.throws(() => store.putResult(run.id, result('unknown-case', 0, 'ok', 1)), FapoError);
  assert.throws(() => store.openRun({ ...s, trials: 0 }), FapoError);
  store.close();
});

test('putResults is atomic: a failing row rolls back the whole batch', () => {
  const store = Store.open(tempWorkspace());
  const run = store.openRun(spec(['c1', 'c2']));
  assert.throws(() => store.putResults(run.id, [result('c1', 0, 'ok', 1), result('zzz', 0, 'ok', 1)]), FapoError);
  assert.equal([...store.results(run.id)].length, 0);
  store.close();
});

test('results round-trip every field and stream in trial, then spec order', () => {
  const store = Store.open(tempWorkspace());
  const run = store.openRun(spec(['b', 'a', 'c']));
  const full = { ...result('a', 0, 'ok', 0.25), breakdown: { em: 0, f1: 0.5 }, feedback: 'close', error: undefined };
  const failed = { ...result('c', 1, 'task_error'), error: 'boom', diagnostics: ['step answer: empty output'] };
  store.putResults(run.id, [failed, result('c', 0, 'ok', 1), full, result('b', 1, 'ok', 0), result('b', 0, 'ok', 0)]);
  const rows = [...store.results(run.id)];
  assert.deepEqual(
    rows.map((r) => `${r.trial}:${r.caseId}`),
    ['0:b', '0:a', '0:c', '1:b', '1:c'],
  );
  const { error: _omit, ...fullWithoutUndefined } = full;
  assert.deepEqual(rows[1], fullWithoutUndefined);
  assert.deepEqual(rows[4], failed);
  assert.deepEqual(
    store.resultsFor(run.id, ['c']).map((r) => r.trial),
    [0, 1],
  );
  assert.equal(store.resultsFor(run.id).length, 5);
  store.close();
});

test('summarize: per-trial means with task errors as 0, status counts, infra/scorer errors never averaged', () => {
  const store = Store.open(tempWorkspace());
  const run = store.openRun(spec(['c1', 'c2', 'c3', 'c4']));
  store.putResults(run.id, [
    result('c1', 0, 'ok', 1),
    result('c2', 0, 'ok', 0.5),
    result('c3', 0, 'infra_error', 0), // a stray score on an error must not count
    result('c4', 0, 'scorer_error'),
    result('c1', 1, 'ok', 0),
    result('c2', 1, 'ok', 0.5),
    result('c3', 1, 'ok', 1),
    result('c4', 1, 'task_error'),
  ]);
  const s = store.summarize(run.id);
  assert.deepEqual(s.trials, [
    { trial: 0, mean: 0.75, counts: { ok: 2, task_error: 0, infra_error: 1, scorer_error: 1 } },
    { trial: 1, mean: 0.375, counts: { ok: 3, task_error: 1, infra_error: 0, scorer_error: 0 } },
  ]);
  assert.equal(s.mean, 0.5625);
  assert.ok(Math.abs(s.sd - 0.375 / Math.SQRT2) < 1e-12);
  assert.deepEqual(s.counts, { ok: 5, task_error: 1, infra_error: 1, scorer_error: 1 });
  assert.equal(s.cases, 4);
  assert.equal(s.variant, run.spec.variant);
  assert.equal(s.split, 'val');

  const single = store.openRun(spec(['c1', 'c2'], { trials: 1 }));
  store.putResults(single.id, [result('c1', 0, 'ok', 0.2), result('c2', 0, 'infra_error')]);
  const one = store.summarize(single.id);
  assert.ok(Math.abs(one.mean! - 0.2) < 1e-12);
  assert.equal(one.sd, 0);

  const empty = store.openRun(spec(['c9'], { trials: 1 }));
  store.putResult(empty.id, result('c9', 0, 'infra_error'));
  assert.equal(store.summarize(empty.id).mean, null);
  store.close();
});

test('response cache round-trips; puts are batched into the database and journaled at once', async () => {
  const ws = tempWorkspace();
  const store = Store.open(ws);
  const value = {
    text: 'Paris',
    object: { a: [1, 2] },
    usage: { inputTokens: 10, outputTokens: 2 },
    costUsd: 0.0001,
    latencyMs: 40,
    modelId: 'sim:qa',
  };
  assert.equal(store.cache.get('k1'), undefined);
  store.cache.put('k1', value);
  assert.deepEqual(store.cache.get('k1'), value);
  store.flush();
  const other = new Database(join(ws, '.fapo', 'store.sqlite'), { readonly: true });
  assert.equal(other.prepare('SELECT COUNT(*) FROM cache').pluck().get(), 1);
  other.close();
  store.close();
  assert.deepEqual(readdirSync(join(ws, '.fapo', 'journal')), [], 'a clean close leaves no journal');
});

test('cache entries another process stores are found within a fraction of a second', async () => {
  const ws = tempWorkspace();
  const reader = Store.open(ws);
  const writer = Store.open(ws);
  const value = {
    text: 'Rome',
    usage: { inputTokens: 4, outputTokens: 1 },
    costUsd: 0.0002,
    latencyMs: 30,
    modelId: 'openai:x',
  };
  assert.equal(reader.cache.get('shared'), undefined, 'a miss before anyone stored it');
  writer.cache.put('shared', value);
  writer.flush();
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(reader.cache.get('shared'), value, "the other store's committed entry is seen");
  assert.equal(reader.cache.get('never-stored'), undefined);
  writer.close();
  reader.close();
  const reopened = Store.open(ws);
  assert.deepEqual(reopened.cache.get('shared'), value, 'and by a store opened later');
  reopened.close();
});

test('a paid call recorded just before a SIGKILL is not lost', async () => {
  const ws = tempWorkspace();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'put-then-hang.ts'), ws],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('recorded') && resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  const store = Store.open(ws);
  assert.equal(store.cache.get('paid-call')?.text, 'Paris');
  assert.deepEqual(
    readdirSync(join(ws, '.fapo', 'journal')),
    [],
    "the dead process's journal was replayed and removed",
  );
  store.close();
});

test('documents upsert in place and events append in order', () => {
  const store = Store.open(tempWorkspace());
  store.putDoc('round', 's1/001', { n: 1 });
  store.putDoc('round', 's2/001', { n: 9 });
  store.putDoc('round', 's1/002', { n: 2 });
  store.putDoc('session', 's1', { state: 'running' });
  store.putDoc('round', 's1/001', { n: 10 });
  assert.deepEqual(store.getDoc('round', 's1/001'), { n: 10 });
  assert.equal(store.getDoc('round', 'missing'), undefined);
  assert.deepEqual(store.listDocs('round', { prefix: 's1/' }), [
    { id: 's1/001', value: { n: 10 } },
    { id: 's1/002', value: { n: 2 } },
  ]);
  assert.equal(store.listDocs('round').length, 3);
  const Round = z.object({ n: z.number() });
  assert.equal(store.getDoc('round', 's1/002', Round)?.n, 2);
  assert.throws(() => store.getDoc('session', 's1', Round), FapoError);

  const e1 = store.appendEvent('log', { msg: 'a' });
  store.appendEvent('other', { msg: 'x' });
  const e2 = store.appendEvent('log', { msg: 'b' });
  assert.ok(e2 > e1);
  assert.deepEqual(
    store.events('log').map((e) => e.value),
    [{ msg: 'a' }, { msg: 'b' }],
  );
  assert.deepEqual(
    store.events('log', { afterId: e1 }).map((e) => e.id),
    [e2],
  );
  store.close();
});

test('reopening after close keeps variants, runs, results, cache, docs and events', () => {
  const ws = tempWorkspace();
  const store = Store.open(ws);
  const v = store.putVariant(newVariant('p'));
  const run = store.openRun(spec(['c1'], { variant: v.hash }));
  store.putResult(run.id, result('c1', 0, 'ok', 0.75));
  store.setRunState(run.id, 'complete');
  store.cache.put('k', {
    text: 't',
    usage: { inputTokens: 1, outputTokens: 1 },
    costUsd: 0,
    latencyMs: 1,
    modelId: 'm',
  });
  store.putDoc('session', 's', { ok: true });
  store.appendEvent('log', 1);
  store.close();

  const again = Store.open(ws);
  assert.deepEqual(again.getVariant('v1'), v);
  assert.equal(again.getRun(run.id)?.state, 'complete');
  assert.deepEqual(
    again.listRuns({ variant: 'v1' }).map((r) => r.id),
    [run.id],
  );
  assert.equal(again.summarize(run.id).mean, 0.75);
  assert.equal(again.cache.get('k')?.text, 't');
  assert.deepEqual(again.getDoc('session', 's'), { ok: true });
  assert.deepEqual(
    again.events('log').map((e) => e.value),
    [1],
  );
  // Resuming after reopen: putResult must still know the run's case order.
  again.putResult(run.id, result('c1', 1, 'ok', 0.25));
  assert.equal(again.summarize(run.id).trials.length, 2);
  again.close();
});
