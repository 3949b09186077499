/**
 * Workspace tools bound to one case. Runs where chain code runs (the sandbox child, or this process
 * for in-process execution), so it is dependency-free: the child bundles it.
 */
import type { ToolErrorKind, ToolInfo } from '../types.ts';
import type { WorkspaceTool } from './define.ts';

/** A tool call that failed in a way the model is told about (and attribution reads). */
export class ToolCallError extends Error {
  constructor(
    readonly kind: ToolErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ToolCallError';
  }
}

/** Calls the workspace tools of the case a step belongs to. */
export interface LocalTools {
  call(name: string, args: unknown): Promise<unknown>;
}

export const NO_LOCAL_TOOLS: LocalTools = {
  call: (name) => Promise.reject(new ToolCallError('not_found', `no workspace tool "${name}"`)),
};

export class CaseTools implements LocalTools {
  constructor(
    private readonly tools: ReadonlyMap<string, WorkspaceTool>,
    /** The case's environment; tools change it in place. */
    readonly state: unknown,
  ) {}

  async call(name: string, args: unknown): Promise<unknown> {
    const tool = this.tools.get(name);
    if (!tool) throw new ToolCallError('not_found', `no workspace tool "${name}"`);
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
      throw new ToolCallError('invalid_args', `invalid arguments for ${name}: ${issues.join('; ')}`);
    }
    try {
      return await tool.run(parsed.data, { state: this.state });
    } catch (err) {
      throw new ToolCallError('thrown', err instanceof Error ? err.message : String(err));
    }
  }
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The tools of the workspace's `tools/*.ts` modules: each default-exports one `defineTool(...)` or an
 * array of them. Names must be unique and callable by every provider.
 */
export function toolsFromModules(
  modules: { path: string; mod: Record<string, unknown> }[],
): Map<string, WorkspaceTool> {
  const tools = new Map<string, WorkspaceTool>();
  const origin = new Map<string, string>();
  for (const { path, mod } of modules) {
    const exported = mod.default;
    const list = Array.isArray(exported) ? exported : [exported];
    for (const tool of list as Partial<WorkspaceTool>[]) {
      if (!tool || typeof tool.run !== 'function' || typeof tool.input?.safeParse !== 'function' || !tool.inputSchema)
        throw new Error(
          `${path}: the default export must be defineTool({ name, description, input, run }) or an array of them`,
        );
      if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name))
        throw new Error(`${path}: tool name ${JSON.stringify(tool.name)} must be 1-64 letters, digits, "_" or "-"`);
      if (typeof tool.description !== 'string' || !tool.description.trim())
        throw new Error(`${path}: tool "${tool.name}" needs a description (the model reads it to choose tools)`);
      const first = origin.get(tool.name);
      if (first) throw new Error(`${path}: tool "${tool.name}" is also defined in ${first}`);
      origin.set(tool.name, path);
      tools.set(tool.name, tool as WorkspaceTool);
    }
  }
  return tools;
}

export function toolInfos(tools: ReadonlyMap<string, WorkspaceTool>): ToolInfo[] {
  return [...tools.values()].map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
}
