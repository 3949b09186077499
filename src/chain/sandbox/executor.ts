import { join } from 'node:path';
import { materializeChain } from '../materialize.ts';
import { workspaceToolFiles } from '../tools/discover.ts';
import { executeChain, type StepGateway } from '../execute.ts';
import { type ChainExecutor, withCaseTimeout } from '../executor.ts';
import { describeChain } from '../structure.ts';
import type { ChainDefinition, ChainStructure, ChainVariant } from '../types.ts';
import { bundleChain, runtimeCode } from './bundle.ts';
import { DEFAULT_LIMITS, SandboxChild, SandboxCrashError, type SandboxLimits } from './child.ts';
import { type LaunchPlan, planLaunch, readablePredicate, type SandboxInfo } from './isolation.ts';
import type { DeclaredChain } from './protocol.ts';

export interface SandboxOptions {
  taskDir: string;
  /** Child processes per variant, started as cases need them. */
  poolSize?: number;
  /** V8 heap cap of each child (--max-old-space-size); resident memory is capped 128 MB above it. */
  memoryMb?: number;
  /** Extra, non-secret environment variables for chain code. */
  env?: Record<string, string>;
  /**
   * Workspace-relative paths chain code may neither read nor import: pass the data folder (expected
   * answers), the store and any `.env`, since the rest of the workspace is readable.
   */
  hide?: string[];
  /** Caps on what chain code sends back (default DEFAULT_LIMITS). */
  limits?: Partial<SandboxLimits>;
}

/** Idle variants whose processes are kept for reuse; older idle pools are shut down. */
const IDLE_POOLS_KEPT = 2;

interface Pool {
  runtime: string;
  bundle: { code: string; chainPath: string };
  children: SandboxChild[];
  /** The chain's steps as the first child to load it reported them. */
  declared?: DeclaredChain;
  /** Set once a child failed to load the chain: loading is deterministic, so later cases fail fast. */
  loadError?: Error;
  lastUsed: number;
}

/**
 * Runs optimizer-written chain code in child `node` processes under Node's permission model: the
 * workspace and fapo are read-only, nothing is writable, no child processes or workers, no secrets
 * in the environment and, where the host allows (a network namespace), no network. llm and retrieve
 * steps come back to this process through each case's gateway.
 */
export class SandboxExecutor implements ChainExecutor {
  readonly kind = 'sandbox';
  readonly info: SandboxInfo;
  private readonly plan: LaunchPlan;
  private readonly readable: (path: string) => boolean;
  private readonly taskDir: string;
  private readonly poolSize: number;
  private readonly memoryMb: number;
  private readonly limits: SandboxLimits;
  private readonly pools = new Map<string, Promise<Pool>>();
  /** Every running child, whichever pool it belongs to, so that close() leaves none behind. */
  private readonly running = new Set<SandboxChild>();
  private closed = false;

  constructor(opts: SandboxOptions) {
    this.taskDir = opts.taskDir;
    this.poolSize = opts.poolSize ?? 2;
    this.memoryMb = opts.memoryMb ?? 256;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.plan = planLaunch({ taskDir: opts.taskDir, memoryMb: this.memoryMb, env: opts.env, hide: opts.hide });
    this.info = this.plan.info;
    this.readable = readablePredicate(opts.taskDir, opts.hide);
  }

  async describe(variant: ChainVariant): Promise<ChainStructure> {
    const declared = await this.declared(await this.pool(variant));
    return describeChain(asDefinition(declared), variant.prompts, declared.tools);
  }

  /**
   * A chain made only of declarations (no flow, no code steps, no agent with workspace tools) runs no chain code
   * per case: its steps run here in declared order, as the child would run them, with no IPC at all.
   * Any other chain runs its cases in a child.
   */
  async run(
    variant: ChainVariant,
    input: Record<string, unknown>,
    gateway: StepGateway,
    timeoutMs: number,
  ): Promise<unknown> {
    const pool = await this.pool(variant);
    const declared = await this.declared(pool);
    if (isDeclarative(declared))
      return withCaseTimeout(executeChain(asDefinition(declared), input, variant.params, gateway), timeoutMs);
    return this.child(pool).run(input, variant.params, gateway, timeoutMs);
  }

  /** The chain's declarations, from the first child to load it. */
  private async declared(pool: Pool): Promise<DeclaredChain> {
    return pool.declared ?? (await (pool.children.find((c) => c.isAlive) ?? this.child(pool)).ready);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pools.clear();
    await Promise.all([...this.running].map((c) => stop(c, 'the sandbox executor was closed')));
  }

  private pool(variant: ChainVariant): Promise<Pool> {
    if (this.closed) throw new SandboxCrashError('the sandbox executor is closed');
    let pool = this.pools.get(variant.hash);
    if (!pool) {
      const chainAbs = materializeChain(this.taskDir, variant);
      const tools = workspaceToolFiles(this.taskDir).map((file) => join(this.taskDir, file));
      pool = Promise.all([runtimeCode(), bundleChain(chainAbs, this.readable, tools)]).then(([runtime, code]) => ({
        runtime,
        bundle: { code, chainPath: chainAbs },
        children: [],
        lastUsed: 0,
      }));
      this.pools.set(variant.hash, pool);
      pool.catch(() => this.pools.delete(variant.hash));
      void this.retireIdlePools(variant.hash);
    }
    return pool;
  }

  /** The least busy live child, starting another while the pool is below its size and all are busy. */
  private child(pool: Pool): SandboxChild {
    if (this.closed) throw new SandboxCrashError('the sandbox executor is closed');
    if (pool.loadError) throw pool.loadError;
    pool.lastUsed = performance.now();
    pool.children = pool.children.filter((c) => c.isAlive);
    const idlest = pool.children.reduce<SandboxChild | undefined>(
      (best, c) => (!best || c.activeJobs < best.activeJobs ? c : best),
      undefined,
    );
    if (idlest && (idlest.activeJobs === 0 || pool.children.length >= this.poolSize)) return idlest;
    return this.spawn(pool);
  }

  private spawn(pool: Pool): SandboxChild {
    const child = new SandboxChild(this.plan, pool.runtime, pool.bundle, this.memoryMb, this.limits);
    pool.children.push(child);
    this.running.add(child);
    void child.exited.then(() => this.running.delete(child));
    child.ready.then(
      (declared) => (pool.declared ??= declared),
      (err: Error) => {
        if (!this.closed) pool.loadError ??= err;
      },
    );
    return child;
  }

  private async retireIdlePools(current: string): Promise<void> {
    const entries = await Promise.all(
      [...this.pools]
        .filter(([hash]) => hash !== current)
        .map(async ([hash, p]) => [hash, await p.catch(() => undefined)] as const),
    );
    const idle = entries
      .filter(([, p]) => p?.children.every((c) => c.activeJobs === 0))
      .sort(([, a], [, b]) => b!.lastUsed - a!.lastUsed);
    for (const [hash, p] of idle.slice(IDLE_POOLS_KEPT)) {
      this.pools.delete(hash);
      for (const c of p!.children) void stop(c, 'its variant was idle');
    }
  }
}

function stop(child: SandboxChild, reason: string): Promise<void> {
  child.kill(reason);
  return child.exited;
}

/**
 * No chain code runs in a case: the default step order, and only steps the parent executes anyway
 * (agent steps too, unless workspace tools, which run in the child with the case's state, exist).
 */
function isDeclarative(chain: DeclaredChain): boolean {
  return (
    !chain.customFlow &&
    chain.steps.every(
      (s) => s.kind === 'llm' || s.kind === 'retrieve' || (s.kind === 'agent' && chain.tools.length === 0),
    )
  );
}

/** describeChain reads only data and whether functions exist; the functions stay in the child. */
function asDefinition(chain: DeclaredChain): ChainDefinition {
  const inChild = (): never => {
    throw new Error('runs in the sandbox child');
  };
  return {
    name: chain.name,
    output: chain.output,
    flow: chain.customFlow ? inChild : undefined,
    steps: chain.steps.map((s) => (s.kind === 'code' ? { ...s, run: inChild } : s)),
  };
}
