import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/eval/store.ts';
import { FAPO_BIN } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/temp.ts';
import { EXAMPLE_DIR } from '../fixtures/workspace.ts';

export const MODEL = 'openai-compatible:fake';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Fresh copies of the example task (no store), one per name, under one temp root. */
export function workspaces(...names: string[]): Record<string, string> {
  const root = tempDir('fapo-scale-');
  return Object.fromEntries(
    names.map((n) => {
      const dir = join(root, n);
      mkdirSync(dir);
      cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (src) => !src.includes('.fapo') });
      return [n, dir];
    }),
  );
}

export interface WorkerProc {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
  log: () => string;
}

/** A `fapo worker` child process serving `ws`, calling the fake model at `baseUrl`. */
export function spawnWorker(
  name: string,
  ws: string,
  redisUrl: string,
  baseUrl: string,
  extra: string[] = [],
  opts: { sandbox?: boolean } = {},
): Promise<WorkerProc> {
  const proc = spawn(
    process.execPath,
    [
      FAPO_BIN,
      'worker',
      ws,
      '--queue',
      redisUrl,
      '--concurrency',
      '2',
      '--lock-ms',
      '2000',
      ...(opts.sandbox ? [] : ['--no-sandbox']),
      ...extra,
    ],
    { env: { ...process.env, FAPO_OPENAI_COMPATIBLE_BASE_URL: baseUrl }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(proc);
  let log = '';
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      children.delete(proc);
      r();
    }),
  );
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(' ready on ')) resolve({ name, proc, exited, log: () => log });
    });
    proc.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before it was ready:\n${log}`)));
  });
}

export async function stopWorkers(workers: WorkerProc[]): Promise<void> {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

export interface StoredCase {
  status: string;
  score: number | null;
  output: unknown;
}

/** The latest run's results of a workspace, by `caseId/trial`. */
export function latestResults(ws: string): Map<string, StoredCase> {
  const store = Store.open(ws);
  try {
    const run = store.listRuns().at(-1);
    if (!run) throw new Error(`no run in ${ws}`);
    return new Map(
      [...store.results(run.id)].map((r) => [
        `${r.caseId}/${r.trial}`,
        { status: r.status, score: r.score, output: r.output },
      ]),
    );
  } finally {
    store.close();
  }
}
