/**
 * fapo's guarded proposer tools as an MCP server. The bridge adds no tool of its own and no access
 * path: each MCP tool is the very AI SDK tool the built-in agent proposer uses (same split access
 * control, scope checks, caps and leakage redaction), so whatever the client is, it can do exactly
 * what fapo's own agent can and nothing more. A refused call becomes an MCP tool error the agent
 * reads, as it does in the AI SDK loop.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from 'ai';
import type { z } from 'zod';
import { FAPO_VERSION } from '../../../version.js';
import { errorMessage } from '../../../util/errors.ts';

/** The MCP server name; clients such as Claude Code see the tools as `mcp__fapo__<tool>`. */
export const PROPOSER_MCP_NAME = 'fapo';

type ProposerTool = Tool & { inputSchema: z.ZodObject; execute: NonNullable<Tool['execute']> };

const text = (value: unknown, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }],
  ...(isError ? { isError: true } : {}),
});

/** Builds an MCP server exposing `tools` (the result of createProposerTools) and nothing else. */
export function createProposerMcpServer(tools: Record<string, Tool>): McpServer {
  const server = new McpServer({ name: PROPOSER_MCP_NAME, version: FAPO_VERSION });
  for (const [name, candidate] of Object.entries(tools)) {
    const tool = candidate as ProposerTool;
    server.registerTool(
      name,
      { description: tool.description, inputSchema: tool.inputSchema },
      async (args: Record<string, unknown>) => {
        try {
          return text(await tool.execute(args, { toolCallId: `mcp-${name}`, messages: [] }));
        } catch (err) {
          // Refusals and invalid calls alike go back to the agent as tool errors; the session has recorded them.
          return text(errorMessage(err), true);
        }
      },
    );
  }
  return server;
}
