import { type ChildProcess, spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { FapoError, errorMessage } from '../../util/errors.ts';
import type { StepGateway } from '../execute.ts';
import { type LocalTools, ToolCallError } from '../tools/case-tools.ts';
import { CaseTimeoutError } from '../executor.ts';
import { FrameReader, frame, HEADER_BYTES, tooDeep } from './channel.ts';
import { hotLoop } from './hot-loop.ts';
import type { LaunchPlan } from './isolation.ts';
import { NATIVE_HEADROOM_MB, watchResidentMemory } from './memory-watch.ts';
import { type ChildMessage, ChildMessageSchema, type DeclaredChain, type ParentMessage } from './protocol.ts';

/** What the parent accepts from a sandbox child; fapo.task.yaml `sandbox:` sets them. */
export interface SandboxLimits {
  /** Serialized bytes of a case's output (with its tool state), or of one tool result. */
  maxOutputBytes: number;
  /** Serialized bytes of one step record (a code step's record, the variables of an llm step). */
  maxStepRecordBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { maxOutputBytes: 4 * 2 ** 20, maxStepRecordBytes: 4 * 2 ** 20 };
/** Deeper values would overflow the parent's recursive code (JSON, hashing) at some point. */
export const MAX_DEPTH = 100;
const MAX_VALUES = 1_000_000;
/** Room in a message beside its payload (op, ids, names). */
const ENVELOPE_BYTES = 64 * 1024;

/** A case broke one of the parent's limits on what chain code may send back: a task error. */
export class SandboxLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxLimitError';
  }
}

/** A case failed because its sandbox process died (out of memory, killed after a hang, crashed). */
export class SandboxCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxCrashError';
  }
}

interface Job {
  gateway: StepGateway;
  resolve: (output: unknown) => void;
  reject: (err: unknown) => void;
  /** Errors host steps raised, by call id: a case failing with one rejects with the original. */
  hostErrors: Map<number, unknown>;
}

const TAIL_CHARS = 4000;
/** How long a child has to answer a ping after a case timed out before it is judged stuck. */
const STUCK_GRACE_MS = 1000;

/**
 * Messages over every sandbox child's IPC channel since the process started, for the benchmarks:
 * a round trip is a message to a child and the child's answer.
 */
export const sandboxIpcCounts = { toChildren: 0, fromChildren: 0 };

let nextJob = 0;
/** A child usually sends its next step within a millisecond of an answer when chain code is quick. */
const keepHot = hotLoop(1);

/**
 * One sandboxed `node` process running one variant's chain: serves many cases at once (chain code
 * mostly awaits the parent), answers their llm/retrieve steps through each case's gateway.
 */
export class SandboxChild {
  /** Resolves with the chain's declared steps once the chain module has loaded in the child. */
  readonly ready: Promise<DeclaredChain>;
  readonly exited: Promise<void>;
  private readonly proc: ChildProcess;
  /** fd 3 of the child: framed messages both ways (channel.ts). */
  private readonly channel: Duplex;
  private readonly jobs = new Map<number, Job>();
  private readonly pings = new Map<number, () => void>();
  private nextPing = 0;
  /** Workspace-tool calls sent to the child, by call id. */
  private readonly toolCalls = new Map<
    number,
    { job: number; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private nextToolCall = 0;
  private waitingForLoad = 0;
  private output = '';
  private killReason: string | undefined;
  private settleReady!: { resolve: (chain: DeclaredChain) => void; reject: (err: Error) => void };
  private alive = true;

  constructor(
    plan: LaunchPlan,
    runtime: string,
    bundle: { code: string; chainPath: string },
    private readonly memoryMb: number,
    private readonly limits: SandboxLimits = DEFAULT_LIMITS,
  ) {
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => {}); // a load failure is reported to whoever awaits `ready`
    this.proc = spawn(plan.command, [...plan.args, '--input-type=module', '-e', runtime], {
      cwd: plan.cwd,
      env: plan.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.setEncoding('utf8').on('data', (text: string) => this.keep(text));
    this.proc.stderr!.setEncoding('utf8').on('data', (text: string) => this.keep(text));
    this.channel = this.proc.stdio[3] as Duplex;
    const maxMessage = Math.max(limits.maxOutputBytes, limits.maxStepRecordBytes) + ENVELOPE_BYTES;
    const reader = new FrameReader(maxMessage, {
      message: (value, bytes) => this.receive(value, bytes),
      oversize: (bytes) =>
        this.kill(
          `the sandbox process sent a message of ${bytes} bytes, over the ${maxMessage}-byte cap (sandbox.maxOutputBytes / sandbox.maxStepRecordBytes in fapo.task.yaml); it was killed`,
        ),
      malformed: (reason) => this.kill(`the sandbox process sent bytes that are no message (${reason}); it was killed`),
    });
    this.channel.on('data', (chunk: Buffer) => reader.push(chunk));
    this.channel.on('error', (err) => this.keep(`channel error: ${err.message}\n`));
    this.proc.on('error', (err) => this.keep(`spawn failed: ${err.message}\n`));
    const stopWatch = this.watchMemory();
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        stopWatch();
        resolve(this.died(code, signal));
      }),
    );
    this.send({ op: 'load', ...bundle });
  }

  /** Kills the process once its resident memory passes the heap cap plus room for Buffers and Node. */
  private watchMemory(): () => void {
    if (this.proc.pid === undefined) return () => {}; // it did not start: 'error' reports why
    const limitMb = this.memoryMb + NATIVE_HEADROOM_MB;
    return watchResidentMemory(this.proc.pid, limitMb, (rssMb) =>
      this.kill(
        `out of memory: chain code made the sandbox process resident in ${rssMb} MB, over its cap of ${limitMb} MB ` +
          `(${this.memoryMb} MB heap + ${NATIVE_HEADROOM_MB} MB for Node, Buffers and native memory)`,
      ),
    );
  }

  /** Cases running or waiting for the chain to load here: what the pool balances on. */
  get activeJobs(): number {
    return this.jobs.size + this.waitingForLoad;
  }

  /** Running and not being killed: may take new cases. */
  get isAlive(): boolean {
    return this.alive && this.killReason === undefined;
  }

  /**
   * Runs one case once the chain has loaded; rejects with CaseTimeoutError `timeoutMs` after the
   * case started (loading is not counted, as in-process) and kills the child if it is stuck.
   */
  async run(
    input: Record<string, unknown>,
    params: Record<string, unknown>,
    gateway: StepGateway,
    timeoutMs: number,
  ): Promise<unknown> {
    this.waitingForLoad++;
    try {
      await this.ready;
    } finally {
      this.waitingForLoad--;
    }
    const job = nextJob++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.abandon(job);
        reject(new CaseTimeoutError(timeoutMs));
        void this.killIfStuck(
          `a case exceeded its ${timeoutMs} ms timeout and the sandbox process did not respond within ${STUCK_GRACE_MS} ms (a synchronous infinite loop?), so it was killed`,
        );
      }, timeoutMs);
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          this.jobs.delete(job);
          this.failToolCalls(job, 'the case ended');
          fn(v);
        };
      this.jobs.set(job, { gateway, resolve: settle(resolve), reject: settle(reject), hostErrors: new Map() });
      if (!this.alive) return this.jobs.get(job)!.reject(new SandboxCrashError(this.deathMessage()));
      this.send({ op: 'run', job, input, params, state: gateway.toolState });
    });
  }

  kill(reason: string): void {
    this.killReason ??= reason;
    if (this.alive) this.proc.kill('SIGKILL');
  }

  /** The last lines the child printed (stderr and stdout), for error messages. */
  get outputTail(): string {
    return this.output.trim();
  }

  private abandon(job: number): void {
    this.jobs.delete(job);
    this.send({ op: 'cancel', job });
  }

  private async killIfStuck(reason: string): Promise<void> {
    const seq = this.nextPing++;
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.pings.delete(seq);
        resolve(false);
      }, STUCK_GRACE_MS);
      this.pings.set(seq, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.send({ op: 'ping', seq });
    });
    if (!answered) this.kill(reason);
  }

  private send(message: ParentMessage): void {
    if (!this.alive || !this.channel.writable) return;
    sandboxIpcCounts.toChildren++;
    this.channel.write(frame(message));
    keepHot();
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-TAIL_CHARS);
  }

  private receive(raw: unknown, bytes: number): void {
    keepHot();
    sandboxIpcCounts.fromChildren++;
    const deep = tooDeep(raw, MAX_DEPTH, MAX_VALUES);
    if (deep !== undefined) return this.refuse(raw, `chain code sent back a value ${deep}`);
    const parsed = ChildMessageSchema.safeParse(raw);
    if (!parsed.success)
      return this.kill(
        `the sandbox process sent a malformed message (${parsed.error.issues[0]?.message ?? 'invalid'}); it was killed`,
      );
    const message: ChildMessage = parsed.data;
    const over = this.overLimit(message, bytes);
    if (over !== undefined) return this.refuse(message, over);
    if ('records' in message && message.records) {
      const gateway = this.jobs.get(message.job)?.gateway;
      for (const record of message.records) gateway?.recordCode(record);
    }
    switch (message.op) {
      case 'loaded':
        return this.settleReady.resolve(message.chain);
      case 'loadFailed':
        this.settleReady.reject(new FapoError(message.message));
        return this.kill('the chain module did not load');
      case 'step':
        return void this.hostStep(message.job, message.call, message.name, message.vars);
      case 'done': {
        const job = this.jobs.get(message.job);
        if (job && message.state !== undefined) job.gateway.toolState = message.state;
        return job?.resolve(message.output);
      }
      case 'toolResult': {
        const pending = this.toolCalls.get(message.call);
        if (!pending) return;
        this.toolCalls.delete(message.call);
        return message.ok
          ? pending.resolve(message.value)
          : pending.reject(new ToolCallError(message.kind ?? 'thrown', message.message ?? 'the tool failed'));
      }
      case 'fail': {
        const job = this.jobs.get(message.job);
        if (!job) return;
        if (message.hostCall !== undefined && job.hostErrors.has(message.hostCall))
          return job.reject(job.hostErrors.get(message.hostCall));
        const err = new Error(message.message);
        err.name = message.name;
        return job.reject(err);
      }
      case 'pong':
        return this.pings.get(message.seq)?.();
    }
  }

  /** Why a message is over the limits, naming the cap and where to set it; undefined when within. */
  private overLimit(message: ChildMessage, bytes: number): string | undefined {
    const { maxOutputBytes, maxStepRecordBytes } = this.limits;
    const payload = bytes - HEADER_BYTES;
    switch (message.op) {
      case 'done':
        return payload > maxOutputBytes
          ? `the chain's output (with its tool state) is ${payload} bytes, over the cap of ${maxOutputBytes} (sandbox.maxOutputBytes in fapo.task.yaml)`
          : this.recordsOverLimit(message);
      case 'toolResult':
        return payload > maxOutputBytes
          ? `a tool result is ${payload} bytes, over the cap of ${maxOutputBytes} (sandbox.maxOutputBytes in fapo.task.yaml)`
          : undefined;
      case 'step':
      case 'fail':
        return payload > maxStepRecordBytes
          ? `the record of step "${message.name}" is ${payload} bytes, over the cap of ${maxStepRecordBytes} (sandbox.maxStepRecordBytes in fapo.task.yaml)`
          : this.recordsOverLimit(message);
      default:
        return undefined;
    }
  }

  /** Code steps' records ride on other messages (protocol.ts): each is held to the record cap on its own. */
  private recordsOverLimit(message: ChildMessage): string | undefined {
    if (!('records' in message) || !message.records) return undefined;
    const { maxStepRecordBytes } = this.limits;
    for (const record of message.records) {
      const size = Buffer.byteLength(JSON.stringify(record));
      if (size > maxStepRecordBytes)
        return `the record of step "${record.name}" is ${size} bytes, over the cap of ${maxStepRecordBytes} (sandbox.maxStepRecordBytes in fapo.task.yaml)`;
    }
    return undefined;
  }

  /**
   * Ends what an over-limit message belongs to with a clear error: its case (a task error; the
   * child is told to cancel it), its tool call, or, for anything else, the process.
   */
  private refuse(message: unknown, reason: string): void {
    const m = (typeof message === 'object' && message !== null ? message : {}) as {
      job?: unknown;
      call?: unknown;
      op?: unknown;
    };
    if (m.op === 'toolResult' && typeof m.call === 'number') {
      const pending = this.toolCalls.get(m.call);
      this.toolCalls.delete(m.call);
      return pending?.reject(new ToolCallError('thrown', reason));
    }
    if (typeof m.job !== 'number') return this.kill(`${reason}; it was killed`);
    const job = this.jobs.get(m.job);
    if (!job) return; // a case already ended (say, by an earlier message over the limits)
    this.abandon(m.job);
    job.reject(new SandboxLimitError(reason));
  }

  private async hostStep(jobId: number, call: number, name: string, vars: Record<string, unknown>): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job)
      return this.send({
        op: 'stepResult',
        call,
        ok: false,
        message: 'the case is no longer running (timed out or cancelled)',
      });
    try {
      const value = await job.gateway.hostStep(name, vars, this.toolsOf(jobId));
      this.send({ op: 'stepResult', call, ok: true, value });
    } catch (err) {
      job.hostErrors.set(call, err);
      this.send({ op: 'stepResult', call, ok: false, message: errorMessage(err) });
    }
  }

  /** The case's workspace tools, which run in the child with the case's state. */
  private toolsOf(job: number): LocalTools {
    return {
      call: (name, args) =>
        new Promise((resolve, reject) => {
          if (!this.jobs.has(job)) return reject(new ToolCallError('thrown', 'the case is no longer running'));
          const call = this.nextToolCall++;
          this.toolCalls.set(call, { job, resolve, reject });
          this.send({ op: 'tool', job, call, name, args });
        }),
    };
  }

  private failToolCalls(job: number | undefined, reason: string): void {
    for (const [call, pending] of this.toolCalls) {
      if (job !== undefined && pending.job !== job) continue;
      this.toolCalls.delete(call);
      pending.reject(new ToolCallError('thrown', reason));
    }
  }

  private died(code: number | null, signal: NodeJS.Signals | null): void {
    this.alive = false;
    const reason = this.deathMessage(code, signal);
    this.settleReady.reject(new Error(reason));
    this.failToolCalls(undefined, reason);
    for (const job of [...this.jobs.values()]) job.reject(new SandboxCrashError(reason));
    for (const answer of this.pings.values()) answer();
  }

  private deathMessage(code?: number | null, signal?: NodeJS.Signals | null): string {
    if (this.killReason) return `sandbox process killed: ${this.killReason}`;
    if (/heap out of memory|Reached heap limit/i.test(this.output)) {
      return `out of memory: chain code exceeded the sandbox heap limit (${this.memoryMb} MB) and its process died`;
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const tail = this.outputTail;
    return `sandbox process exited unexpectedly (${how})${tail ? `; its output ended with:\n${tail.slice(-1000)}` : ''}`;
  }
}
