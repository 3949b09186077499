import type { Case, Split } from '../../task/schema.ts';

export const BENCHMARK_TASKS = ['hotpotqa', 'hover', 'ifbench', 'pupa', 'aime', 'livebench-math', 'ctibench'] as const;
export type BenchmarkTask = (typeof BENCHMARK_TASKS)[number];

export interface TaskSplits {
  task: BenchmarkTask;
  /** Seed of every random draw; null when the split ids are taken from a shipped list. */
  seed: number | null;
  splits: Record<Split, Case[]>;
  /** Further JSONL files for `data/`, such as a retrieval corpus. */
  extraFiles: { name: string; rows: unknown[] }[];
  /** Each way these splits differ from the original study, one sentence or short paragraph each. */
  deviations: string[];
  /** Source files read, as paths relative to `benchmarks/<task>/source/`. */
  sources: string[];
}

/** Where the benchmark folders live (the repo's `benchmarks/`); each task reads its own `source/`. */
export interface BuildOptions {
  benchmarksDir: string;
  seed?: number;
}
