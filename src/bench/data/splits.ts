import { buildAimeSplits } from './aime.ts';
import { buildCtibenchSplits } from './ctibench.ts';
import { buildHotpotqaSplits } from './hotpotqa.ts';
import { buildHoverSplits } from './hover.ts';
import { buildIfbenchSplits } from './ifbench.ts';
import { buildLivebenchMathSplits } from './livebench-math.ts';
import { buildPupaSplits } from './pupa.ts';
import type { BenchmarkTask, BuildOptions, TaskSplits } from './types.ts';

export { BENCHMARK_TASKS, type BenchmarkTask, type BuildOptions, type TaskSplits } from './types.ts';

/** Builders of each task's train / val / test cases from its copied source files (see benchmarks.md for the study's splits). */
export const SPLIT_BUILDERS: Readonly<Record<BenchmarkTask, (options: BuildOptions) => TaskSplits>> = {
  hotpotqa: buildHotpotqaSplits,
  hover: buildHoverSplits,
  ifbench: buildIfbenchSplits,
  pupa: buildPupaSplits,
  aime: buildAimeSplits,
  'livebench-math': buildLivebenchMathSplits,
  ctibench: buildCtibenchSplits,
};

export function buildTaskSplits(task: BenchmarkTask, options: BuildOptions): TaskSplits {
  return SPLIT_BUILDERS[task](options);
}
