/**
 * Claude Code as the proposer, through @anthropic-ai/claude-agent-sdk (optional, proprietary licence,
 * ~450 MB: not installed with fapo). Its built-in tools are all disabled (`tools: []`), user and
 * project settings are ignored, and the only tools it has are fapo's, served in-process over MCP; a
 * permission callback refuses anything else even if a later Claude Code version adds tools.
 */
import type { BackendOutcome, BackendRun, CodingAgentBackend, TranscriptEntry } from './backend.ts';
import { clipText, importOptional } from './backend.ts';
import { PROPOSER_MCP_NAME } from '../mcp/bridge.ts';

export const CLAUDE_AGENT_SDK = { pkg: '@anthropic-ai/claude-agent-sdk', version: '0.3.332' };

// The SDK's types are not available when the optional package is absent: this is the slice fapo uses.
interface ClaudeMessage {
  type: string;
  subtype?: string;
  message?: {
    content?: { type: string; text?: string; name?: string; input?: unknown; content?: unknown; is_error?: boolean }[];
  };
  result?: string;
  num_turns?: number;
  errors?: string[];
}
interface ClaudeSdk {
  query(args: { prompt: string; options: Record<string, unknown> }): AsyncIterable<ClaudeMessage>;
}

const FAPO_TOOL_PREFIX = `mcp__${PROPOSER_MCP_NAME}__`;

export const claudeCodeBackend: CodingAgentBackend = {
  name: 'claude-code',
  protocol: 'anthropic',
  async run(run: BackendRun): Promise<BackendOutcome> {
    const sdk = await importOptional<ClaudeSdk>(CLAUDE_AGENT_SDK.pkg, CLAUDE_AGENT_SDK.version, 'claude-code');
    const transcript: TranscriptEntry[] = [];
    const abortController = new AbortController();
    run.signal.addEventListener('abort', () => abortController.abort(), { once: true });
    let turns = 0;
    let stopReason: string | undefined;
    const messages = sdk.query({
      prompt: run.brief,
      options: {
        model: run.model,
        systemPrompt: run.system,
        tools: [],
        canUseTool: async (name: string, input: Record<string, unknown>) =>
          name.startsWith(FAPO_TOOL_PREFIX)
            ? { behavior: 'allow', updatedInput: input }
            : { behavior: 'deny', message: `${name} is not available: only fapo's tools are` },
        // Every tool use is decided by canUseTool (an allowedTools entry would bypass it).
        permissionMode: 'default',
        settingSources: [],
        persistSession: false,
        maxTurns: run.maxTurns,
        cwd: run.workDir,
        mcpServers: { [PROPOSER_MCP_NAME]: { type: 'sdk', name: PROPOSER_MCP_NAME, instance: run.tools } },
        abortController,
        env: {
          ...run.baseEnv,
          HOME: run.workDir,
          ANTHROPIC_BASE_URL: run.endpoint.url,
          ANTHROPIC_API_KEY: run.endpoint.token,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_ERROR_REPORTING: '1',
        },
      },
    });
    for await (const message of messages) {
      if (message.type === 'assistant') {
        turns += 1;
        for (const part of message.message?.content ?? []) {
          if (part.type === 'text' && part.text) transcript.push({ kind: 'text', text: clipText(part.text) });
          if (part.type === 'tool_use')
            transcript.push({ kind: 'tool_call', text: clipText(`${part.name} ${JSON.stringify(part.input)}`) });
        }
      } else if (message.type === 'user') {
        for (const part of message.message?.content ?? []) {
          if (part.type !== 'tool_result') continue;
          const text = clipText(typeof part.content === 'string' ? part.content : JSON.stringify(part.content));
          transcript.push({ kind: part.is_error ? 'refused' : 'tool_result', text });
        }
      } else if (message.type === 'result') {
        if (message.subtype !== 'success') stopReason = message.subtype;
        transcript.push({ kind: 'result', text: clipText(message.result ?? (message.errors ?? []).join('; ')) });
        turns = message.num_turns ?? turns;
      }
    }
    return { transcript, turns, ...(stopReason ? { stopReason } : {}) };
  },
};
