/**
 * What the explorer reads: the stores of the workspaces it was pointed at (a `fapo bench` output
 * folder counts as the workspaces of its cells, plus its study table). The explorer never writes task
 * data (opening a store may replay a killed process's cache journal into it, as every fapo command does).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Store } from '../eval/store.ts';
import { FapoError } from '../util/errors.ts';
import { type BenchStudy, readBenchStudy } from './bench-study.ts';

export interface Served {
  workspaces: Workspace[];
  /** Study tables of `fapo bench` output folders among the given folders. */
  studies: BenchStudy[];
}

export interface Workspace {
  /** URL-safe name, unique among the served workspaces. */
  id: string;
  dir: string;
  store: Store;
}

const STORE_FILE = join('.fapo', 'store.sqlite');

/** The given folders' bench study tables and their workspaces. */
export function openServed(dirs: string[]): Served {
  const studies = dirs.flatMap((dir, i) => {
    const study = readBenchStudy(resolve(dir), `study-${i + 1}`);
    return study ? [study] : [];
  });
  return { workspaces: openWorkspaces(dirs), studies };
}

/** Finds workspaces (folders with a fapo store) in the given folders, looking two levels down. */
export function openWorkspaces(dirs: string[]): Workspace[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (existsSync(join(dir, STORE_FILE))) found.push(dir);
    if (depth === 0) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
        visit(join(dir, entry.name), depth - 1);
    }
  };
  for (const dir of dirs) {
    const abs = resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory())
      throw new FapoError(`${abs}: not a folder`, 'Point fapo ui at task workspaces or a fapo bench output folder.');
    visit(abs, 2);
  }
  if (found.length === 0)
    throw new FapoError(
      `no fapo store under ${dirs.join(', ')}`,
      'Run `fapo eval` or `fapo optimize` in a workspace first, or point at a `fapo bench` output folder.',
    );
  const used = new Set<string>();
  return [...new Set(found)].map((dir) => {
    let id = basename(dir).replace(/[^A-Za-z0-9_-]/g, '-') || 'workspace';
    for (let n = 2; used.has(id); n++) id = `${basename(dir)}-${n}`;
    used.add(id);
    return { id, dir, store: Store.open(dir) };
  });
}
