/**
 * `npm run bench:cli`: wall time and peak memory of the CLI's start, median over runs of
 * `fapo --help`, `fapo eval --help` and `fapo --version`, against the 300 ms target for `--help`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sized } from './quick.ts';

const RUNS = Number(process.env.RUNS ?? sized(15, 1));
const BIN = join(import.meta.dirname, '..', 'bin', 'fapo.js');
const TARGET_MS = 300;

function measure(args: string[]): { ms: number; rssMb: number } {
  // GNU time (/usr/bin/time, Debian's `time` package) reports the child's peak RSS.
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`fapo ${args.join(' ')} failed: ${run.stderr}`);
  const rssKb = Number(run.stderr.trim().split('\n').at(-1));
  return { ms, rssMb: rssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`fapo CLI start-up, median of ${RUNS} runs (node ${process.version}, includes node's own start)`);
for (const args of [['--help'], ['eval', '--help'], ['--version']]) {
  measure(args); // warm the file cache
  const runs = Array.from({ length: RUNS }, () => measure(args));
  const ms = median(runs.map((r) => r.ms));
  const rss = median(runs.map((r) => r.rssMb));
  const verdict = args[0] === '--help' ? `  target < ${TARGET_MS} ms: ${ms < TARGET_MS ? 'met' : 'NOT met'}` : '';
  console.log(
    `fapo ${args.join(' ').padEnd(12)} ${ms.toFixed(0).padStart(5)} ms  peak RSS ${rss.toFixed(0)} MB${verdict}`,
  );
}
