/**
 * A coding agent (Claude Code, Codex) driven as fapo's proposer. A backend only runs the agent: fapo
 * gives it the brief, an MCP server holding exactly the proposer's guarded tools, and a metering
 * proxy as its model endpoint; the backend turns the agent's own messages into a transcript.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { FapoError } from '../../../util/errors.ts';

export interface TranscriptEntry {
  kind: 'text' | 'tool_call' | 'tool_result' | 'refused' | 'result';
  text: string;
}

export interface BackendRun {
  /** The system prompt (standing rules) and the round's brief. */
  system: string;
  brief: string;
  model: string;
  /** The MCP server with fapo's tools (in this process). */
  tools: McpServer;
  /** The proxy the agent must use as its model endpoint, and the token it presents there. */
  endpoint: { url: string; token: string };
  /** An empty scratch directory outside the workspace: the agent's working directory and HOME. */
  workDir: string;
  maxTurns: number;
  signal: AbortSignal;
  /** Environment variables to keep for the agent process (PATH and the like; never keys). */
  baseEnv: Record<string, string>;
}

export interface BackendOutcome {
  transcript: TranscriptEntry[];
  turns: number;
  /** The backend's own stop reason when it is not a normal finish (max turns, error). */
  stopReason?: string;
}

export interface CodingAgentBackend {
  readonly name: 'claude-code' | 'codex';
  /** The wire protocol of the agent's model calls. */
  readonly protocol: 'anthropic' | 'openai';
  run(run: BackendRun): Promise<BackendOutcome>;
}

/** Loads an optional backend package, or says how to install it. */
export async function importOptional<T>(pkg: string, version: string, backend: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new FapoError(
      `--proposer ${backend} needs the optional package ${pkg}, which is not installed.`,
      `Install it next to fapo: npm i -E ${pkg}@${version}`,
    );
  }
}

const MAX_TRANSCRIPT_TEXT = 2000;

export const clipText = (text: string): string =>
  text.length > MAX_TRANSCRIPT_TEXT ? `${text.slice(0, MAX_TRANSCRIPT_TEXT)}… [${text.length} chars]` : text;
