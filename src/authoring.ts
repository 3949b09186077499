/**
 * What task code imports as `fapo`: the chain and scorer authoring helpers and their types. Kept free
 * of heavy dependencies because sandboxed chain processes load it (zod is there for tool inputs).
 */
export { defineChain, llm, retrieve, code, agent } from './chain/define.ts';
export { defineTool, z } from './chain/tools/define.ts';
export type { ToolContext, WorkspaceTool } from './chain/tools/define.ts';
export { defineScorer } from './task/scorer.ts';
export type { JudgeClient, ScoreResult, ScorerInput, Scorer } from './task/scorer.ts';
export { defineJudgeScorer } from './task/judge.ts';
export type { JudgeScorerOptions } from './task/judge.ts';
export type {
  ChainDefinition,
  FlowContext,
  StepContext,
  StepRecord,
  OutputSpec,
  ToolCallRecord,
} from './chain/types.ts';
