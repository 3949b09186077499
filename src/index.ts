/**
 * fapo's public API. Task code (chains, scorers) only needs the authoring helpers; programs that
 * drive evaluations or optimizations use the rest.
 */
export * from './authoring.ts';
export { loadTask, readTask, type Task, type TaskFiles, type Dataset } from './task/load.ts';
export type { Case, Manifest, Playbook, Level, Split } from './task/schema.ts';
export { openEnvironment, type Environment, type EnvironmentOptions } from './eval/environment.ts';
export { evaluate, type EvaluateOptions, type EvaluateOutcome } from './eval/runner.ts';
export { writeRunArtifacts } from './eval/artifacts.ts';
export { Store } from './eval/store.ts';
export type { CaseResult, CaseStatus, RunSummary, Variant } from './eval/types.ts';
export { optimize, type OptimizeRequest, type SessionConfig, type SessionOutcome } from './optimize/session.ts';
export { createFapoStrategy, type FapoOptions } from './optimize/fapo/controller.ts';
export type { Strategy, StrategyContext, StrategyResult } from './optimize/strategy.ts';
export { createModelClient, createLanguageModel, UsageMeter } from './models/index.ts';
export type { ModelClient, ModelRequest, ModelResponse, ChatMessage, Sampling } from './models/types.ts';
export { FapoError, InfraError, BudgetExceededError } from './util/errors.ts';
