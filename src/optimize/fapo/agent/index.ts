/** The FAPO agent proposer: an AI SDK tool loop whose tools enforce the scope contract. */
export { createAgentProposer, type AgentProposer, type AgentProposerOptions } from './proposer.ts';
export type { AgentRunSummary, AgentToolCall } from './transcript.ts';
export { LEVEL_TECHNIQUES } from './prompt.ts';
