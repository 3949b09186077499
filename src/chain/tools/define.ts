import { z } from 'zod';

/** What a workspace tool's `run` receives besides its input. */
export interface ToolContext<State = unknown> {
  /**
   * The case's environment: a fresh copy of the manifest's `tools.environment.reset` file for every
   * case and trial. Tools read and change it; the scorer receives its final value.
   */
  state: State;
}

export interface ToolOptions<Input, State> {
  /** Letters, digits, `_` and `-`: the name the model calls it by. */
  name: string;
  /** What the model is told the tool does (a variant can override it in `prompts/tools/<name>.md`). */
  description: string;
  input: z.ZodType<Input>;
  run: (input: Input, ctx: ToolContext<State>) => unknown | Promise<unknown>;
}

/** A tool defined in the workspace (`tools/<name>.ts`, default export); runs where chain code runs. */
export interface WorkspaceTool<Input = unknown, State = unknown> extends ToolOptions<Input, State> {
  /** The input schema as JSON Schema, as the model sees it. */
  inputSchema: Record<string, unknown>;
}

/** Defines a workspace tool; its zod input schema validates every call and is shown to the model. */
export function defineTool<Input, State = unknown>(options: ToolOptions<Input, State>): WorkspaceTool<Input, State> {
  const { $schema: _, ...inputSchema } = z.toJSONSchema(options.input, { io: 'input', unrepresentable: 'any' });
  return { ...options, inputSchema };
}

export { z };
