/**
 * What one execution of an agent step may use: its tool set (names and globs resolved against the
 * workspace, resource and MCP tools, descriptions overridden by the variant's prompts) and its caps.
 */
import { minimatch } from 'minimatch';
import type { Retriever } from '../../retrieval/types.ts';
import { FapoError } from '../../util/errors.ts';
import { type RenderContext, lookupPath, renderTemplate } from '../template.ts';
import { type LocalTools, ToolCallError } from '../tools/case-tools.ts';
import { toolDescriptionPrompt } from '../tools/descriptions.ts';
import type { McpToolSource } from '../tools/mcp.ts';
import type { ChainStructure, ToolInfo } from '../types.ts';
import type { BoundTool } from './loop.ts';

export const DEFAULT_MAX_STEPS = 8;
export const DEFAULT_MAX_TOOL_CALLS = 16;
export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;
const DEFAULT_SEARCH_K = 5;
const MAX_SEARCH_K = 20;

type StepDecl = ChainStructure['steps'][number];

export interface ToolSources {
  /** The workspace's tools as loaded with the chain. */
  workspace: ToolInfo[];
  local: LocalTools;
  retrievers: ReadonlyMap<string, Retriever>;
  mcp?: McpToolSource;
  /** Checked before each search-tool call, as for retrieve steps (k per hop, hops, total passages). */
  searchGuard?: (k: number) => void;
}

/** A list-valued option: an array, a `${params.x}` naming an array or a comma-separated string, or text. */
export function resolveList(value: string[] | string, ctx: RenderContext): string[] {
  if (Array.isArray(value)) return value;
  const whole = /^\$\{([^}]+)\}$/.exec(value.trim());
  const raw = whole ? lookupPath(ctx, whole[1]!.trim()).value : renderTemplate(value, ctx).text;
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string')
    throw new FapoError(`tool list "${value}" resolved to ${JSON.stringify(raw)}, not a list`);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A count option: a positive integer or a template that renders to one. */
export function resolveCount(
  value: number | string | undefined,
  fallback: number,
  what: string,
  ctx: RenderContext,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(renderTemplate(value, ctx).text);
  if (!Number.isInteger(n) || n <= 0) throw new FapoError(`${what} must be a positive integer, got "${value}" -> ${n}`);
  return n;
}

/** Every tool a pattern may name, with where it comes from and how to call it. */
async function catalog(patterns: string[], sources: ToolSources): Promise<BoundTool[]> {
  const tools: BoundTool[] = sources.workspace.map((info) => ({
    info,
    source: 'workspace',
    call: (args) => sources.local.call(info.name, args),
  }));
  for (const [name, retriever] of sources.retrievers) tools.push(searchTool(name, retriever, sources.searchGuard));
  const mcp = sources.mcp;
  if (mcp) {
    // Only servers a pattern can reach are started.
    const wanted = mcp
      .servers()
      .filter((s) => patterns.some((p) => p.includes('.') && minimatch(`${s}.x`, `${p.split('.')[0]}.x`)));
    for (const server of wanted)
      for (const info of await mcp.tools(server))
        tools.push({ info, source: 'mcp', call: (args, signal) => mcp.call(info.name, args, signal) });
  }
  return tools;
}

/** The tools one execution of an agent step may call, in the order its patterns name them. */
export async function resolveAgentTools(
  step: StepDecl,
  ctx: RenderContext,
  prompts: Record<string, string>,
  sources: ToolSources,
): Promise<BoundTool[]> {
  const patterns = resolveList(step.tools ?? [], ctx);
  const available = await catalog(patterns, sources);
  const chosen = new Map<string, BoundTool>();
  for (const pattern of patterns) {
    const hits = available.filter((t) => minimatch(t.info.name, pattern));
    if (hits.length === 0)
      throw new FapoError(
        `agent step "${step.name}": tool "${pattern}" matches no tool`,
        `Available: ${available.map((t) => t.info.name).join(', ') || 'none (add tools/*.ts, an MCP server in fapo.task.yaml, or a resource)'}.`,
      );
    for (const t of hits) chosen.set(t.info.name, t);
  }
  return [...chosen.values()].map((t) => {
    const override = prompts[toolDescriptionPrompt(t.info.name)];
    return override === undefined ? t : { ...t, info: { ...t.info, description: override.trim() } };
  });
}

/** The description the model is shown for the `search:<resource>` tool unless a variant overrides it. */
export function searchToolDescription(resource: string): string {
  return `Search the "${resource}" collection; returns the best-matching passages (id, title, text).`;
}

function searchTool(resource: string, retriever: Retriever, guard?: (k: number) => void): BoundTool {
  return {
    info: {
      name: `search:${resource}`,
      description: searchToolDescription(resource),
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'What to look for' },
          k: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_SEARCH_K,
            description: `How many passages (default ${DEFAULT_SEARCH_K})`,
          },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
    source: 'resource',
    async call(args) {
      const { query, k = DEFAULT_SEARCH_K } = (args ?? {}) as { query?: unknown; k?: unknown };
      if (typeof query !== 'string' || !query.trim())
        throw new ToolCallError('invalid_args', 'query must be a non-empty string');
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K)
        throw new ToolCallError('invalid_args', `k must be an integer from 1 to ${MAX_SEARCH_K}`);
      guard?.(k);
      return retriever.search(query, k).map((p) => ({ id: p.id, title: p.title, text: p.text }));
    },
  };
}
