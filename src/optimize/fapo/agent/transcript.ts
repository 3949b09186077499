/** What one agent proposer session did, for the controller to store in memory and the report. */
import type { Case, Level } from '../../../task/schema.ts';
import type { Proposal } from '../../review/types.ts';

export interface AgentToolCall {
  tool: string;
  ok: boolean;
  /** Short detail: the path read, the case viewed, or why the call was refused. */
  note?: string;
}

export interface AgentRunSummary {
  round: number;
  level: Level;
  revision: boolean;
  /** Model steps taken (each is one provider call that returned). */
  steps: number;
  toolCalls: AgentToolCall[];
  refusedWrites: { reasons: string[] }[];
  acceptedWrites: number;
  quickChecks: number;
  finished: boolean;
  finishSummary?: string;
  /** The model's last text, e.g. why it stopped without calling finish. */
  lastText?: string;
  outcome: 'proposal' | 'no-proposal' | 'budget-exceeded' | 'error';
  error?: string;
  usage: {
    calls: number;
    failedCalls: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    latencyMs: number;
  };
}

/** The mutable state of one propose() call: the transcript and the current draft. */
export class AgentSession {
  draft: Proposal | undefined;
  /** Train cases shown through view_case, beyond the failures. */
  readonly viewedCases = new Map<string, Case>();
  readonly summary: AgentRunSummary;

  constructor(round: number, level: Level, revision: boolean) {
    this.summary = {
      round,
      level,
      revision,
      steps: 0,
      toolCalls: [],
      refusedWrites: [],
      acceptedWrites: 0,
      quickChecks: 0,
      finished: false,
      outcome: 'no-proposal',
      usage: { calls: 0, failedCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 },
    };
  }

  record(tool: string, ok: boolean, note?: string): void {
    this.summary.toolCalls.push({ tool, ok, ...(note !== undefined ? { note } : {}) });
  }
}
