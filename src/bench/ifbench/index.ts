/** IFBench: the 58 test-set instruction checkers, the strict/loose harness, and the task metric. */
export { IFBENCH_CHECKERS, type Approximation, type Checker, type Kwargs } from './checkers/index.ts';
export { describeInstruction } from './describe.ts';
export { followedList, isApproximate, responseVariants, type IfbenchMode } from './evaluate.ts';
export {
  IfbenchConstraintsSchema,
  scoreIfbenchResponse,
  type IfbenchConstraints,
  type IfbenchScore,
} from './metric.ts';
export {
  IFBENCH_TEST_PATH,
  loadIfbenchTestSet,
  type IfbenchInstruction,
  type IfbenchTestPrompt,
} from './testSet.ts';
export {
  readIfbenchResponses,
  runIfbenchVerify,
  summarizeIfbench,
  verifyIfbench,
  type Accuracy,
  type IfbenchResponseRow,
  type IfbenchResultRow,
  type IfbenchSummary,
  type RunIfbenchVerifyOptions,
  type VerifyOptions,
} from './verify.ts';
