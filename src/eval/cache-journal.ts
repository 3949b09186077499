import { randomUUID } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../util/process-alive.ts';

/**
 * An append-only side journal for response-cache entries. Appending a line is one write() (a few
 * µs) and survives a SIGKILL of this process (the data is in the OS page cache), so a paid model
 * call is durable at once while its SQLite insert waits for the next batched commit. After each
 * commit the journal is truncated; a store opened later replays journals left by dead processes.
 * Hand-written: no library covers "one write per entry, replay into SQLite" for this narrow job.
 */
export class CacheJournal {
  private fd: number | undefined;
  private readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, `${process.pid}-${randomUUID().slice(0, 8)}.jsonl`);
  }

  append(key: string, json: string): void {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, `${JSON.stringify([key, json])}\n`);
  }

  /** Everything appended so far is committed to the database. */
  clear(): void {
    if (this.fd !== undefined) ftruncateSync(this.fd, 0);
  }

  /** `keep`: leave the file for the next process to replay (its entries may not be committed). */
  close(keep = false): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (!keep) unlinkSync(this.file);
  }

  /** Entries from journals whose process is gone; `done()` deletes those files once replayed. */
  static recover(dir: string): { entries: [string, string][]; done: () => void } {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && !processAlive(Number(f.split('-')[0])));
    } catch {
      return { entries: [], done: () => {} };
    }
    const entries: [string, string][] = [];
    for (const f of files) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        try {
          const [key, json] = JSON.parse(line) as [unknown, unknown];
          if (typeof key === 'string' && typeof json === 'string') entries.push([key, json]);
        } catch {
          // a line cut short by the kill: that call never finished being recorded
        }
      }
    }
    return {
      entries,
      done: () => {
        for (const f of files) unlinkSync(join(dir, f));
      },
    };
  }
}
