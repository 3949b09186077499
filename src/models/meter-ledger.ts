/**
 * The durable side of a UsageMeter: an append-only file with one line per reservation, settlement and
 * served answer, so the spending of a session or run survives `kill -9` and budgets stay hard caps
 * across resumes. An append is one write() (it survives a SIGKILL: the data is in the OS page cache,
 * as with the cache journal); `compact` rewrites the file as a single state line (write + rename, so a
 * kill leaves either the old file or the new one). Lines cut short by a kill are skipped on reading.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { FapoError } from '../util/errors.ts';

const count = z.number().nonnegative();
const amount = z.object({ calls: count, tokens: count, costUsd: count });

const entrySchema = z.discriminatedUnion('t', [
  /** The meter's state at a compaction. `replayable`: answers served since the last checkpoint, by cache key. */
  z.object({
    t: z.literal('state'),
    roles: z.record(z.string(), z.record(z.string(), count)),
    replayable: z.record(z.string(), count),
  }),
  /** A reservation held before a provider call. */
  z.object({ t: z.literal('reserve'), id: z.number(), role: z.string(), amount }),
  /** The call answered; what it spent. */
  z.object({
    t: z.literal('commit'),
    id: z.number(),
    inputTokens: count,
    outputTokens: count,
    cachedInputTokens: count,
    cacheWriteTokens: count,
    costUsd: count,
    latencyMs: count,
  }),
  /** The call failed. */
  z.object({ t: z.literal('fail'), id: z.number(), latencyMs: count }),
  /** A cache hit (`key` when the caller knows it). */
  z.object({ t: z.literal('hit'), role: z.string(), savedCostUsd: count, key: z.string().optional() }),
  /** An answer was served for this cache key (paid now): a replay after a kill must not count it again. */
  z.object({ t: z.literal('served'), key: z.string() }),
]);

export type LedgerEntry = z.infer<typeof entrySchema>;

export class MeterLedger {
  private fd: number;

  private constructor(
    readonly path: string,
    readonly entries: LedgerEntry[],
  ) {
    this.fd = openSync(path, 'a');
  }

  /** Opens (creating) the ledger at `path` and reads what earlier processes wrote to it. */
  static open(path: string): MeterLedger {
    let text = '';
    try {
      mkdirSync(dirname(path), { recursive: true });
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new FapoError(
          `cannot read the usage ledger ${path}: ${(err as Error).message}`,
          'Check the permissions of the workspace .fapo folder; the ledger holds what this session already spent.',
        );
    }
    const entries: LedgerEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue; // a line cut short by a kill: its write never finished
      }
      const parsed = entrySchema.safeParse(json);
      if (parsed.success) entries.push(parsed.data);
    }
    return new MeterLedger(path, entries);
  }

  append(entry: LedgerEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  /** Replaces the file with one state line. */
  compact(state: Extract<LedgerEntry, { t: 'state' }>): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state)}\n`);
    renameSync(tmp, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }

  close(): void {
    closeSync(this.fd);
  }
}
