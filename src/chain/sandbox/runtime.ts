/**
 * The program a sandbox child runs (bundled by the parent and passed with `-e`): it loads one
 * chain bundle, then runs cases on request. Code steps run here; llm and retrieve steps are sent to
 * the parent, which holds keys, cache, budgets and evidence.
 */
import { Socket } from 'node:net';
import { executeChain, type StepGateway } from '../execute.ts';
import { CaseTools, ToolCallError, toolInfos, toolsFromModules } from '../tools/case-tools.ts';
import type { WorkspaceTool } from '../tools/define.ts';
import type { ChainDefinition } from '../types.ts';
import { serialize } from 'node:v8';
import type { ChildMessage, CodeRecord, DeclaredChain, ParentMessage } from './protocol.ts';
import { chainFromModule } from '../validate.ts';
import { FrameReader, frame } from './channel.ts';
import { hotLoop } from './hot-loop.ts';

interface PendingCall {
  job: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

let chain: ChainDefinition | undefined;
let tools: ReadonlyMap<string, WorkspaceTool> = new Map();
/** Each running case's workspace tools, bound to its state. */
const caseTools = new Map<number, CaseTools>();
let nextCall = 0;
const pendingCalls = new Map<number, PendingCall>();
const cancelledJobs = new Set<number>();
/** Code-step records not yet sent, per case: they go with the case's next message. */
const carried = new Map<number, CodeRecord[]>();
/** Errors that came from a host step, so a case failing with one is reported as that host error. */
const hostErrors = new WeakMap<object, number>();
/** The parent usually answers a step within a millisecond when the model is fast. */
const keepHot = hotLoop(1);

/** fd 3: the parent's end of the channel (channel.ts). */
const channel = new Socket({ fd: 3, readable: true, writable: true });

/** Throws, as process.send did, when a value cannot be serialized (a function in an output). */
function send(message: ChildMessage): void {
  channel.write(frame(message));
  keepHot();
}

type CarrierMessage = Extract<ChildMessage, { op: 'step' | 'done' | 'fail' }>;

/**
 * Sends a case's message with the code-step records it has ready. A record whose output cannot be
 * sent keeps its place with a note instead; the message's own failure is the caller's to handle.
 */
function sendCarrying(message: CarrierMessage): void {
  const records = carried.get(message.job);
  if (!records) return send(message);
  try {
    send({ ...message, records });
  } catch (err) {
    const sendable = records.map(asSendable);
    if (sendable.every((r, i) => r === records[i])) throw err;
    send({ ...message, records: sendable });
  }
  carried.delete(message.job);
}

function asSendable(record: CodeRecord): CodeRecord {
  try {
    serialize(record);
    return record;
  } catch (err) {
    return { ...record, vars: {}, output: `[not serializable: ${messageOf(err)}]` };
  }
}

/** The chain's step declarations as data (functions stay here); the parent runs describeChain on them. */
function declared(def: ChainDefinition): DeclaredChain {
  return {
    name: def.name,
    tools: toolInfos(tools),
    customFlow: typeof def.flow === 'function',
    output: def.output,
    steps: def.steps.map((s) => {
      switch (s.kind) {
        case 'llm':
          return { kind: s.kind, name: s.name, prompt: s.prompt, output: s.output };
        case 'retrieve':
          return { kind: s.kind, name: s.name, resource: s.resource, query: s.query, k: s.k };
        case 'agent':
          return {
            kind: s.kind,
            name: s.name,
            prompt: s.prompt,
            output: s.output,
            tools: s.tools,
            maxSteps: s.maxSteps,
            maxToolCallsPerStep: s.maxToolCallsPerStep,
            toolTimeoutMs: s.toolTimeoutMs,
          };
        default:
          return { kind: 'code' as const, name: s.name };
      }
    }),
  };
}

async function load(code: string, chainPath: string): Promise<void> {
  try {
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<
      string,
      unknown
    >;
    chain = chainFromModule(mod, chainPath);
    tools = toolsFromModules((mod.__fapoTools ?? []) as { path: string; mod: Record<string, unknown> }[]);
    send({ op: 'loaded', chain: declared(chain) });
  } catch (err) {
    send({ op: 'loadFailed', message: `${chainPath}: the chain module does not load: ${messageOf(err)}` });
  }
}

function gatewayFor(job: number): StepGateway {
  return {
    hostStep(name, vars) {
      if (cancelledJobs.has(job)) return Promise.reject(new Error('the case was cancelled (timeout)'));
      const call = nextCall++;
      return new Promise((resolve, reject) => {
        pendingCalls.set(call, { job, resolve, reject });
        sendCarrying({ op: 'step', job, call, name, vars });
      });
    },
    recordCode(record) {
      const records = carried.get(job);
      if (records) records.push(record);
      else carried.set(job, [record]);
    },
  };
}

async function run(
  job: number,
  input: Record<string, unknown>,
  params: Record<string, unknown>,
  state: unknown,
): Promise<void> {
  const bound = new CaseTools(tools, state);
  caseTools.set(job, bound);
  try {
    const output = await executeChain(chain!, input, params, gatewayFor(job), bound);
    try {
      sendCarrying({ op: 'done', job, output, state: bound.state });
    } catch (err) {
      sendCarrying({
        op: 'fail',
        job,
        name: 'Error',
        message: `the chain's output cannot be sent to the parent: ${messageOf(err)}`,
      });
    }
  } catch (err) {
    const hostCall = typeof err === 'object' && err !== null ? hostErrors.get(err) : undefined;
    const name = err instanceof Error ? err.name : 'Error';
    sendCarrying({ op: 'fail', job, name, message: messageOf(err), ...(hostCall === undefined ? {} : { hostCall }) });
  } finally {
    carried.delete(job);
    cancelledJobs.delete(job);
    caseTools.delete(job);
  }
}

async function callTool(message: Extract<ParentMessage, { op: 'tool' }>): Promise<void> {
  const bound = caseTools.get(message.job);
  try {
    if (!bound) throw new ToolCallError('thrown', 'the case is no longer running');
    const value = await bound.call(message.name, message.args);
    try {
      send({ op: 'toolResult', call: message.call, ok: true, value });
    } catch (err) {
      throw new ToolCallError('thrown', `the tool's result cannot be sent to the parent: ${messageOf(err)}`);
    }
  } catch (err) {
    const kind = err instanceof ToolCallError && err.kind !== 'timeout' && err.kind !== 'cap' ? err.kind : 'thrown';
    send({ op: 'toolResult', call: message.call, ok: false, kind, message: messageOf(err) });
  }
}

function settleCall(message: Extract<ParentMessage, { op: 'stepResult' }>): void {
  const pending = pendingCalls.get(message.call);
  if (!pending) return;
  pendingCalls.delete(message.call);
  if (message.ok) return pending.resolve(message.value);
  const err = new Error(message.message);
  hostErrors.set(err, message.call);
  pending.reject(err);
}

function cancel(job: number): void {
  cancelledJobs.add(job);
  for (const [call, pending] of pendingCalls) {
    if (pending.job !== job) continue;
    pendingCalls.delete(call);
    pending.reject(new Error('the case was cancelled (timeout)'));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function receive(raw: unknown): void {
  const message = raw as ParentMessage;
  keepHot();
  switch (message.op) {
    case 'stepResult':
      return settleCall(message);
    case 'run':
      return void run(message.job, message.input, message.params, message.state);
    case 'tool':
      return void callTool(message);
    case 'load':
      return void load(message.code, message.chainPath);
    case 'cancel':
      return cancel(message.job);
    case 'ping':
      return send({ op: 'pong', seq: message.seq });
  }
}

// The parent is trusted: its messages have no size cap here.
const reader = new FrameReader(Number.POSITIVE_INFINITY, {
  message: receive,
  oversize: () => process.exit(1),
  malformed: () => process.exit(1),
});
channel.on('data', (chunk: Buffer) => reader.push(chunk));
// Without a parent there is nobody to serve: exit rather than linger.
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));
