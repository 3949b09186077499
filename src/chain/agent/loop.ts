/**
 * The tool loop of an agent step (parent side): each model turn goes through the ModelClient (cache,
 * single-flight, meter, budgets), each tool call through its BoundTool with a time limit. Caps are
 * enforced here, not asked of the model; a tool that throws, hangs or is unknown becomes a recorded
 * error the model is told about.
 */
import type { ChatMessage, ModelClient, Sampling, ToolCall, ToolDefinition } from '../../models/types.ts';
import { errorMessage } from '../../util/errors.ts';
import { ToolCallError } from '../tools/case-tools.ts';
import type { AgentRecord, AgentStopReason, ToolCallRecord, ToolInfo, ToolSource } from '../types.ts';

/** A tool resolved for one execution of an agent step. */
export interface BoundTool {
  info: ToolInfo;
  source: ToolSource;
  call(args: unknown, signal: AbortSignal): Promise<unknown>;
}

export interface AgentLoopOptions {
  model: ModelClient;
  sampling: Sampling;
  role: string;
  /** The sample key of the next model call (independent trials, shared prefixes across variants). */
  nextSampleKey: () => string;
  messages: ChatMessage[];
  tools: BoundTool[];
  maxSteps: number;
  maxToolCalls: number;
  toolTimeoutMs: number;
}

export interface AgentLoopResult {
  /** The final answer's text ('' when the loop ended without one). */
  text: string;
  trace: AgentRecord;
  tokens: { input: number; output: number };
  costUsd: number;
  /** True when every turn came from the cache. */
  cacheHit: boolean;
  modelId?: string;
  diagnostics: string[];
}

/** Longest tool result handed back to the model; the record keeps the whole value. */
const MAX_RESULT_CHARS = 20_000;

export async function runAgentLoop(opts: AgentLoopOptions): Promise<AgentLoopResult> {
  const { wire, byWire } = wireNames(opts.tools);
  const definitions: ToolDefinition[] = opts.tools.map((t) => ({ ...t.info, name: wire.get(t)! }));
  const messages = [...opts.messages];
  const trace: AgentRecord = {
    tools: opts.tools.map((t) => t.info.name),
    turns: [],
    toolCalls: [],
    stopReason: 'final',
  };
  const result: AgentLoopResult = {
    text: '',
    trace,
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    cacheHit: true,
    diagnostics: [],
  };
  let toolCallsMade = 0;
  let capHit = false;
  let stop: AgentStopReason | undefined;

  for (let turn = 0; turn < opts.maxSteps && stop === undefined; turn++) {
    const response = await opts.model.generate({
      messages,
      sampling: opts.sampling,
      sampleKey: opts.nextSampleKey(),
      role: opts.role,
      ...(definitions.length ? { tools: definitions, toolChoice: capHit ? ('none' as const) : ('auto' as const) } : {}),
    });
    result.tokens.input += response.usage.inputTokens;
    result.tokens.output += response.usage.outputTokens;
    result.costUsd += response.costUsd;
    result.cacheHit &&= response.cached;
    result.modelId = response.modelId;
    const calls = response.toolCalls ?? [];
    // Call ids are renumbered so that the next turn's prompt (and cache key) does not depend on the
    // provider's random ids: the same history is the same request.
    const ids = calls.map((_, i) => `call_${turn}_${i}`);
    trace.turns.push({
      turn,
      text: response.text,
      toolCallIds: ids,
      tokens: { input: response.usage.inputTokens, output: response.usage.outputTokens },
      latencyMs: response.latencyMs,
      cacheHit: response.cached,
    });
    if (calls.length === 0) {
      result.text = response.text;
      stop = capHit ? 'tool_cap' : 'final';
      break;
    }
    messages.push({
      role: 'assistant',
      content: response.text,
      toolCalls: calls.map((c, i) => ({ id: ids[i]!, name: c.name, args: c.args })),
    });
    const lastTurn = turn === opts.maxSteps - 1;
    for (const [i, call] of calls.entries()) {
      const tool = byWire.get(call.name);
      const record: ToolCallRecord = {
        id: ids[i]!,
        turn,
        tool: tool?.info.name ?? call.name,
        source: tool?.source ?? 'workspace',
        args: call.args,
        latencyMs: 0,
      };
      trace.toolCalls.push(record);
      if (lastTurn) {
        record.error = { kind: 'cap', message: `not run: the step's ${opts.maxSteps} turns (maxSteps) are used up` };
        continue;
      }
      if (toolCallsMade >= opts.maxToolCalls) {
        capHit = true;
        record.error = {
          kind: 'cap',
          message: `not run: this step may make ${opts.maxToolCalls} tool calls (maxToolCallsPerStep); answer with what you have`,
        };
      } else {
        toolCallsMade++;
        await runTool(tool, call, record, opts.toolTimeoutMs);
      }
      messages.push({ role: 'tool', toolCallId: record.id, toolName: call.name, content: resultText(record) });
    }
    if (lastTurn) stop = 'max_steps';
  }
  trace.stopReason = stop ?? 'max_steps';
  if (trace.stopReason === 'max_steps')
    result.diagnostics.push(
      `no final answer: the model was still calling tools after ${opts.maxSteps} turns (maxSteps)`,
    );
  if (trace.stopReason === 'tool_cap')
    result.diagnostics.push(`tool-call cap hit: ${opts.maxToolCalls} calls (maxToolCallsPerStep)`);
  return result;
}

async function runTool(
  tool: BoundTool | undefined,
  call: ToolCall,
  record: ToolCallRecord,
  timeoutMs: number,
): Promise<void> {
  if (!tool) {
    record.error = { kind: 'not_found', message: `there is no tool "${call.name}" in this step` };
    return;
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ToolCallError('timeout', `no result within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const started = performance.now();
  try {
    record.result = await Promise.race([tool.call(call.args, controller.signal), timedOut]);
  } catch (err) {
    record.error =
      err instanceof ToolCallError
        ? { kind: err.kind, message: err.message }
        : { kind: 'thrown', message: errorMessage(err) };
  } finally {
    clearTimeout(timer);
    record.latencyMs = performance.now() - started;
  }
}

/** What the model reads back for a call: its result as text, or its error. */
function resultText(record: ToolCallRecord): string {
  if (record.error) return `Error (${record.error.kind}): ${record.error.message}`;
  const text = typeof record.result === 'string' ? record.result : (JSON.stringify(record.result) ?? 'null');
  return text.length > MAX_RESULT_CHARS
    ? `${text.slice(0, MAX_RESULT_CHARS)}… [truncated: ${text.length} characters in all]`
    : text;
}

/**
 * Providers accept only letters, digits, `_` and `-` in function names; MCP (`server.tool`) and
 * resource (`search:wiki`) tools are renamed on the wire and mapped back.
 */
function wireNames(tools: BoundTool[]): { wire: Map<BoundTool, string>; byWire: Map<string, BoundTool> } {
  const wire = new Map<BoundTool, string>();
  const byWire = new Map<string, BoundTool>();
  for (const tool of tools) {
    const name = tool.info.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    const clash = byWire.get(name);
    if (clash) throw new Error(`tools "${clash.info.name}" and "${tool.info.name}" have the same wire name "${name}"`);
    wire.set(tool, name);
    byWire.set(name, tool);
  }
  return { wire, byWire };
}
