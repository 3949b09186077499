/**
 * What task code imports as `fapo`: the chain and scorer authoring helpers and their types. Kept free
 * of heavy dependencies because sandboxed chain processes load it.
 */
export { defineChain, llm, retrieve, code } from './chain/define.ts';
export { defineScorer } from './task/scorer.ts';
export type { ScoreResult, ScorerInput, Scorer } from './task/scorer.ts';
export type { ChainDefinition, FlowContext, StepContext, StepRecord, OutputSpec } from './chain/types.ts';
