/**
 * Codex as the proposer, through @openai/codex-sdk (optional: not installed with fapo). Codex's own
 * tools are switched off by configuration (shell, unified exec, web search, images, browser, apps,
 * sub-agents, goals), its sandbox is read-only without network, and its only tools are fapo's,
 * served over MCP on 127.0.0.1 behind a bearer token. Its model provider is fapo's metering proxy,
 * declared as a custom provider so the key Codex holds is the proxy's session token.
 */
import type { BackendOutcome, BackendRun, CodingAgentBackend, TranscriptEntry } from './backend.ts';
import { clipText, importOptional } from './backend.ts';
import { PROPOSER_MCP_NAME } from '../mcp/bridge.ts';
import { serveMcpOverHttp } from '../mcp/http.ts';

export const CODEX_SDK = { pkg: '@openai/codex-sdk', version: '0.163.0' };

/** Every built-in Codex capability that could reach files, processes, the network or other agents. */
export const CODEX_DISABLED_FEATURES = [
  'shell_tool',
  'unified_exec',
  'view_image',
  'image_generation',
  'apps',
  'browser_use',
  'computer_use',
  'in_app_browser',
  'multi_agent',
  'goals',
] as const;

interface CodexItem {
  type: string;
  text?: string;
  message?: string;
  tool?: string;
  server?: string;
  arguments?: unknown;
  result?: { content?: unknown };
  error?: { message: string };
  command?: string;
}
interface CodexEvent {
  type: string;
  item?: CodexItem;
  error?: { message: string };
}
interface CodexSdk {
  Codex: new (
    options: Record<string, unknown>,
  ) => {
    startThread(options: Record<string, unknown>): {
      runStreamed(input: string, options: { signal: AbortSignal }): Promise<{ events: AsyncIterable<CodexEvent> }>;
    };
  };
}

export const codexBackend: CodingAgentBackend = {
  name: 'codex',
  protocol: 'openai',
  async run(run: BackendRun): Promise<BackendOutcome> {
    const { Codex } = await importOptional<CodexSdk>(CODEX_SDK.pkg, CODEX_SDK.version, 'codex');
    const mcp = await serveMcpOverHttp(run.tools);
    const transcript: TranscriptEntry[] = [];
    const abort = new AbortController();
    run.signal.addEventListener('abort', () => abort.abort(), { once: true });
    let turns = 0;
    let stopReason: string | undefined;
    try {
      const codex = new Codex({
        env: { ...run.baseEnv, HOME: run.workDir, FAPO_PROXY_TOKEN: run.endpoint.token, FAPO_MCP_TOKEN: mcp.token },
        config: {
          model_provider: 'fapo',
          model_providers: {
            fapo: {
              name: 'fapo metering proxy',
              base_url: `${run.endpoint.url}/v1`,
              env_key: 'FAPO_PROXY_TOKEN',
              wire_api: 'responses',
              supports_websockets: false,
            },
          },
          features: Object.fromEntries(CODEX_DISABLED_FEATURES.map((f) => [f, false])),
          web_search: 'disabled',
          mcp_servers: {
            [PROPOSER_MCP_NAME]: {
              url: mcp.url,
              bearer_token_env_var: 'FAPO_MCP_TOKEN',
              default_tools_approval_mode: 'approve',
            },
          },
          developer_instructions: run.system,
        },
      });
      const thread = codex.startThread({
        model: run.model,
        workingDirectory: run.workDir,
        skipGitRepoCheck: true,
        sandboxMode: 'read-only',
        approvalPolicy: 'never',
        networkAccessEnabled: false,
      });
      const { events } = await thread.runStreamed(run.brief, { signal: abort.signal });
      for await (const event of events) {
        const item = event.item;
        if (event.type === 'turn.failed' || event.type === 'error') stopReason = event.error?.message ?? event.type;
        if (event.type !== 'item.completed' || !item) continue;
        if (item.type === 'agent_message' && item.text) {
          turns += 1;
          transcript.push({ kind: 'text', text: clipText(item.text) });
        } else if (item.type === 'mcp_tool_call') {
          turns += 1;
          transcript.push({ kind: 'tool_call', text: clipText(`${item.tool} ${JSON.stringify(item.arguments)}`) });
          transcript.push(
            item.error
              ? { kind: 'refused', text: clipText(item.error.message) }
              : { kind: 'tool_result', text: clipText(JSON.stringify(item.result?.content ?? null)) },
          );
        } else if (item.type === 'command_execution' || item.type === 'file_change' || item.type === 'web_search') {
          // Switched off above; if a Codex release brings one back, the record shows it.
          transcript.push({
            kind: 'refused',
            text: clipText(`unexpected built-in ${item.type}: ${item.command ?? ''}`),
          });
        }
        if (turns >= run.maxTurns) {
          stopReason = `the turn cap (${run.maxTurns}) was reached`;
          abort.abort();
          break;
        }
      }
    } finally {
      await mcp.close();
    }
    return { transcript, turns, ...(stopReason ? { stopReason } : {}) };
  },
};
