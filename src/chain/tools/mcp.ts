/**
 * MCP servers as tool sources for agent steps, through the official MCP TypeScript SDK: stdio servers
 * are started by fapo (on first use) and stopped when the environment closes; streamable-HTTP servers
 * are connected to. Their tools are named `<server>.<tool>`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FapoError, errorMessage } from '../../util/errors.ts';
import type { ToolInfo } from '../types.ts';
import { ToolCallError } from './case-tools.ts';

/** Settings every server has: when it starts fresh, and which of its tools reports its final state. */
interface McpServerLifecycle {
  /** `run` (default): one server for the whole run; `case`: a fresh server for every case and trial. */
  scope?: 'run' | 'case';
  /** A tool (without arguments) called when a case ends; its result reaches the scorer as `serverStates[<server>]`. */
  stateTool?: string;
}

export type McpServerConfig = McpServerLifecycle &
  (
    | {
        command: string;
        args?: string[];
        /** Working directory, absolute (the task loader resolves it against the workspace). */
        cwd?: string;
        /** Extra variables; the server otherwise gets only the SDK's safe set (PATH, HOME, …), no keys. */
        env?: Record<string, string>;
        /** Names of variables of fapo's own environment to pass on (e.g. a key the server needs). */
        passEnv?: string[];
      }
    | { url: string; headers?: Record<string, string> }
  );

/** What an agent step needs of MCP: the servers, their tools, and a way to call one. */
export interface McpToolSource {
  servers(): string[];
  tools(server: string): Promise<ToolInfo[]>;
  call(tool: string, args: unknown, signal: AbortSignal): Promise<unknown>;
}

interface Connection {
  client: Client;
  tools: ToolInfo[];
  stderr: () => string;
}

const CONNECT_TIMEOUT_MS = 30_000;
const STDERR_TAIL = 2000;

/** The MCP servers of one case: run-scoped ones shared, case-scoped ones its own. */
export interface CaseMcp extends McpToolSource {
  /** Reads each started server's state tool, then stops the case's own servers. */
  finish(): Promise<Record<string, unknown>>;
}

export class McpServers implements McpToolSource {
  private readonly connections = new Map<string, Promise<Connection>>();
  private closed = false;

  constructor(private readonly configs: Readonly<Record<string, McpServerConfig>>) {}

  servers(): string[] {
    return Object.keys(this.configs);
  }

  /** The view of one case: servers with `scope: case` are started for it alone (on first use). */
  forCase(): CaseMcp {
    const own = Object.fromEntries(Object.entries(this.configs).filter(([, c]) => c.scope === 'case'));
    const caseServers = Object.keys(own).length ? new McpServers(own) : undefined;
    const owner = (server: string): McpServers => (caseServers && server in own ? caseServers : this);
    return {
      servers: () => this.servers(),
      tools: (server) => owner(server).tools(server),
      call: (tool, args, signal) => owner(tool.slice(0, tool.indexOf('.'))).call(tool, args, signal),
      finish: async () => {
        const states: Record<string, unknown> = {};
        try {
          for (const [server, config] of Object.entries(this.configs)) {
            if (!config.stateTool || !owner(server).connections.has(server)) continue;
            states[server] = await owner(server)
              .call(`${server}.${config.stateTool}`, {}, AbortSignal.timeout(CONNECT_TIMEOUT_MS))
              .catch((err: unknown) => ({ error: `state tool ${config.stateTool} failed: ${errorMessage(err)}` }));
          }
        } finally {
          await caseServers?.close();
        }
        return states;
      },
    };
  }

  async tools(server: string): Promise<ToolInfo[]> {
    return (await this.connect(server)).tools;
  }

  async call(tool: string, args: unknown, signal: AbortSignal): Promise<unknown> {
    const dot = tool.indexOf('.');
    const server = tool.slice(0, dot);
    const { client } = await this.connect(server);
    const result = await client.callTool(
      { name: tool.slice(dot + 1), arguments: (args ?? {}) as Record<string, unknown> },
      undefined,
      { signal },
    );
    const text = Array.isArray(result.content)
      ? result.content.map((part) => (part.type === 'text' ? part.text : JSON.stringify(part))).join('\n')
      : '';
    if (result.isError) throw new ToolCallError('thrown', text || 'the MCP tool reported an error');
    return result.structuredContent ?? text;
  }

  private connect(server: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error('the MCP servers were closed'));
    let connection = this.connections.get(server);
    if (!connection) {
      connection = this.open(server);
      this.connections.set(server, connection);
    }
    return connection;
  }

  private async open(server: string): Promise<Connection> {
    const config = this.configs[server];
    if (!config) throw new FapoError(`no MCP server "${server}" in fapo.task.yaml (tools.mcp)`);
    let stderr = '';
    const transport =
      'url' in config
        ? new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers ?? {} } })
        : new StdioClientTransport({
            command: config.command,
            args: config.args ?? [],
            ...(config.cwd ? { cwd: config.cwd } : {}),
            env: { ...getDefaultEnvironment(), ...passed(config.passEnv), ...config.env },
            stderr: 'pipe',
          });
    if (transport instanceof StdioClientTransport)
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
    const client = new Client({ name: 'fapo', version: '1' });
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
      const tools: ToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, { timeout: CONNECT_TIMEOUT_MS });
        for (const t of page.tools)
          tools.push({
            name: `${server}.${t.name}`,
            description: t.description ?? t.title ?? t.name,
            inputSchema: t.inputSchema as Record<string, unknown>,
          });
        cursor = page.nextCursor;
      } while (cursor);
      return { client, tools, stderr: () => stderr };
    } catch (err) {
      await client.close().catch(() => {});
      const where = 'url' in config ? config.url : `${config.command} ${(config.args ?? []).join(' ')}`;
      throw new FapoError(
        `MCP server "${server}" (${where.trim()}) did not start: ${errorMessage(err)}${stderr ? `\nits stderr ended with:\n${stderr.trim()}` : ''}`,
        'Check tools.mcp in fapo.task.yaml: run the command yourself to see it start.',
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((c) => c.then((conn) => conn.client.close()).catch(() => {})));
  }
}

function passed(names: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
