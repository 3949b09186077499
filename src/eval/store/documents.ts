/** Generic documents (keyed by kind and id) and append-only event logs of the optimizer and tools. */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { now, toJson } from './database.ts';

const DocRowSchema = z.object({ id: z.string(), value: z.string() });
const EventRowSchema = z.object({ id: z.number().int(), at: z.string(), value: z.string() });

export interface StoredDoc<T> {
  id: string;
  value: T;
}
export interface StoredEvent<T> {
  id: number;
  at: string;
  value: T;
}

export class DocumentStore {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      get: db.prepare('SELECT id, value FROM docs WHERE kind = ? AND id = ?'),
      put: db.prepare(
        `INSERT INTO docs (kind, id, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      list: db.prepare(
        'SELECT id, value FROM docs WHERE kind = @kind AND substr(id, 1, length(@prefix)) = @prefix ORDER BY seq',
      ),
      append: db.prepare('INSERT INTO events (kind, at, value) VALUES (?, ?, ?)'),
      events: db.prepare('SELECT id, at, value FROM events WHERE kind = ? AND id > ? ORDER BY id'),
    };
  }

  /** Creates or replaces a document; a replaced document keeps its original position in `list`. */
  put(kind: string, id: string, value: unknown): void {
    this.stmt.put.run(kind, id, toJson(value, `${kind} document ${id}`), now());
  }

  /** Reads a document; pass a zod schema to validate it, otherwise the caller's type is trusted. */
  get<T>(kind: string, id: string, schema?: z.ZodType<T>): T | undefined {
    const row = this.stmt.get.get(kind, id);
    return row ? parseDoc(kind, DocRowSchema.parse(row), schema).value : undefined;
  }

  /** Documents of a kind in insertion order, optionally only those whose id starts with `prefix`. */
  list<T>(kind: string, opts: { prefix?: string; schema?: z.ZodType<T> } = {}): StoredDoc<T>[] {
    return this.stmt.list
      .all({ kind, prefix: opts.prefix ?? '' })
      .map((row) => parseDoc(kind, DocRowSchema.parse(row), opts.schema));
  }

  /** Appends to the `kind` log and returns the event id (increasing across all kinds). */
  append(kind: string, value: unknown): number {
    return Number(this.stmt.append.run(kind, now(), toJson(value, `${kind} event`)).lastInsertRowid);
  }

  /** Events of a kind in append order; `afterId` returns only newer ones (for tailing). */
  events<T = unknown>(kind: string, opts: { afterId?: number } = {}): StoredEvent<T>[] {
    return this.stmt.events.all(kind, opts.afterId ?? 0).map((row) => {
      const e = EventRowSchema.parse(row);
      return { id: e.id, at: e.at, value: JSON.parse(e.value) as T };
    });
  }
}

function parseDoc<T>(kind: string, row: { id: string; value: string }, schema?: z.ZodType<T>): StoredDoc<T> {
  const value: unknown = JSON.parse(row.value);
  if (!schema) return { id: row.id, value: value as T };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new FapoError(`stored ${kind} document ${row.id} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return { id: row.id, value: parsed.data };
}
