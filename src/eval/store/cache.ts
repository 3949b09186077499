/**
 * The model response cache table. A put is durable at once through a side journal (a kill must never
 * make the user pay for a call again) and reaches SQLite with the next write-behind commit; keys are
 * held in memory, so a lookup for a new call is a Set probe instead of a SQLite read.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { CachedResponse, ResponseCache } from '../../models/types.ts';
import { CacheJournal } from '../cache-journal.ts';
import { CacheKeyIndex } from '../cache-key-index.ts';
import { toJson, type WriteBehind } from './database.ts';
import { storageError } from './storage-error.ts';

/** A cached answer as stored (also read back from the shared Redis layer of queue workers). */
export const CachedResponseSchema = z.object({
  text: z.string(),
  object: z.unknown().optional(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), args: z.unknown() })).optional(),
  usage: z.object({
    inputTokens: z.number(),
    outputTokens: z.number(),
    cachedInputTokens: z.number().optional(),
    cacheWriteTokens: z.number().optional(),
  }),
  costUsd: z.number(),
  latencyMs: z.number(),
  modelId: z.string(),
});

export class CacheStore implements ResponseCache {
  private readonly pending = new Map<string, CachedResponse>();
  private readonly journal: CacheJournal;
  private readonly keys: CacheKeyIndex;
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly writes: WriteBehind,
    journalDir: string,
  ) {
    this.stmt = {
      get: db.prepare('SELECT value FROM cache WHERE key = ?'),
      keysAfter: db.prepare<[number], { rowid: number; key: string }>(
        'SELECT rowid, key FROM cache WHERE rowid > ? ORDER BY rowid',
      ),
      put: db.prepare('INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)'),
    };
    this.journal = new CacheJournal(journalDir);
    this.keys = new CacheKeyIndex(this.stmt.keysAfter);
    writes.onCommit(() => {
      this.pending.clear();
      this.journal.clear();
    });
  }

  put(key: string, value: CachedResponse): void {
    const json = toJson(value, `cache entry ${key}`);
    try {
      this.journal.append(key, json);
    } catch (err) {
      throw storageError(err, this.journal.dir, 'journal a paid answer in') ?? err;
    }
    this.pending.set(key, value);
    this.keys.add(key);
    this.writes.defer(() => this.stmt.put.run(key, json));
  }

  get(key: string): CachedResponse | undefined {
    const pending = this.pending.get(key);
    if (pending) return pending;
    if (!this.keys.has(key)) return undefined;
    const row = this.stmt.get.get(key) as { value: string } | undefined;
    if (!row) return undefined;
    // An entry from an older format is a miss: the call is redone and the entry overwritten.
    const parsed = CachedResponseSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : undefined;
  }

  /** `keepJournal`: the last commit failed, so the journal holds answers the database lacks. */
  close(keepJournal = false): void {
    this.journal.close(keepJournal);
  }
}
