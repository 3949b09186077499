import { join } from 'node:path';
import type { ChainExecutor } from '../chain/executor.ts';
import type { RetrievalGuard } from '../chain/host.ts';
import { InProcessExecutor } from '../chain/in-process.ts';
import { McpServers } from '../chain/tools/mcp.ts';
import { SandboxExecutor } from '../chain/sandbox/index.ts';
import { enforceRetrievalCaps } from '../chain/caps.ts';
import { UsageMeter, createModelClient, loadPriceTable, parseModelId } from '../models/index.ts';
import type { PriceTable } from '../models/pricing.ts';
import { MODELS_CONFIG_FILE, loadModelsConfig, rateLimitsResolver } from '../models/models-config.ts';
import { RateLimiterRegistry } from '../models/rate-limit.ts';
import type { ModelClient, Sampling } from '../models/types.ts';
import { openBm25Index } from '../retrieval/bm25.ts';
import type { Retriever } from '../retrieval/types.ts';
import {
  type Task,
  type TaskFiles,
  describeTaskChain,
  readTask,
  sandboxHiddenPaths,
  sandboxLimits,
} from '../task/load.ts';
import type { RemoteCases } from './remote.ts';
import type { EvaluateOptions } from './runner.ts';
import { Store } from './store.ts';
import { FapoError } from '../util/errors.ts';

export interface EnvironmentOptions {
  /** Task model id; default: the manifest's. */
  model?: string;
  /** Sampling overrides; default: the manifest's (frozen for optimization). */
  sampling?: Sampling;
  /** Concurrent task-model calls. */
  concurrency?: number;
  /** Run chain code in sandboxed child processes (default) or in this process. */
  sandbox?: boolean;
  /** JSON price table overriding the defaults. */
  pricesPath?: string;
  /** A price table already loaded (a session's, stored with it); wins over pricesPath. */
  prices?: PriceTable;
  timeoutMs?: number;
  maxRetries?: number;
  meter?: UsageMeter;
  /** `false`: no response cache, so every model call is paid (default: the workspace's cache). */
  responseCache?: boolean;
  /**
   * Model calls happen on queue workers (src/scale): clients carry the model id only and refuse to
   * call, so the coordinator needs no keys or endpoints.
   */
  remoteModels?: boolean;
  /**
   * `false`: no default task model is built (queue workers: each job names its model, built on
   * demand with `client()`), so a manifest without `model:`, or one whose key is missing here, is fine.
   */
  taskModel?: boolean;
  /** Declared limits of the task model (flags), over those of the models config. */
  rpm?: number;
  tpm?: number;
  /** Per-case timeout (ms) over fapo.task.yaml `sandbox.caseTimeoutSeconds` (default 300 s). */
  caseTimeoutMs?: number;
  /** Models config with per-model limits (default: `fapo.models.yaml` in the workspace, if present). */
  modelsConfigPath?: string;
  /** The model judge scorers consult; default: the manifest's `judge.model`. */
  judgeModel?: string;
}

/** Everything an evaluation or optimization needs for one workspace, opened once. */
export interface Environment {
  task: Task;
  store: Store;
  model: ModelClient;
  sampling: Sampling;
  meter: UsageMeter;
  /** Per-model rate limiters shared by every client of this environment (stats for reports). */
  rateLimits: RateLimiterRegistry;
  retrievers: ReadonlyMap<string, Retriever>;
  executor: ChainExecutor;
  retrievalGuard: RetrievalGuard;
  /** How long a case may run: the option, else the manifest's `sandbox.caseTimeoutSeconds`, else 300 s. */
  caseTimeoutMs: number;
  /** The task's MCP servers (started on first use, stopped by close()). */
  mcp: McpServers;
  /** Evaluations compute their cases here (queue workers) instead of locally; set by the caller. */
  remote?: RemoteCases;
  /** The model judge scorers consult (role `judge`), when the task or the command names one. */
  judge?: ModelClient;
  /** Builds another client (e.g. an optimizer role) sharing the cache, meter and prices. */
  client(id: string): ModelClient;
  close(): Promise<void>;
}

export async function openEnvironment(dir: string, opts: EnvironmentOptions = {}): Promise<Environment> {
  const files = await readTask(dir);
  // The chain's structure comes from the executor that runs it: chain code never runs in this
  // process unless the user opted out of the sandbox.
  const executor: ChainExecutor =
    opts.sandbox === false
      ? new InProcessExecutor(files.dir)
      : new SandboxExecutor({
          taskDir: files.dir,
          hide: sandboxHiddenPaths(files.manifest),
          limits: sandboxLimits(files.manifest),
        });
  const store = Store.open(files.dir);
  try {
    const task: Task = { ...files, structure: await describeTaskChain(files, executor) };
    const meter = opts.meter ?? new UsageMeter();
    const prices = opts.prices ?? (opts.pricesPath ? loadPriceTable(opts.pricesPath) : undefined);
    const modelsConfig = opts.modelsConfigPath
      ? loadModelsConfig(opts.modelsConfigPath)
      : loadModelsConfig(join(task.dir, MODELS_CONFIG_FILE), { required: false });
    // A queue worker has no default task model (each job names its own); a coordinator whose models
    // run on workers may have no endpoint for it: the id is all it needs.
    const taskModel = opts.taskModel === false ? task.manifest.model : taskModelId(task, opts.model);
    const taskModelSpecId =
      taskModel === undefined
        ? undefined
        : parseModelId(taskModel, opts.remoteModels ? { openaiCompatibleBaseUrl: REMOTE_BASE_URL } : {}).id;
    const rateLimits = new RateLimiterRegistry(
      rateLimitsResolver(modelsConfig, {
        rpm: opts.rpm,
        tpm: opts.tpm,
        ...(taskModelSpecId ? { taskModel: taskModelSpecId } : {}),
      }),
    );
    const client = (id: string): ModelClient =>
      opts.remoteModels
        ? remoteOnlyClient(id)
        : createModelClient(id, {
            rateLimits,
            ...(opts.responseCache === false ? {} : { cache: store.cache }),
            meter,
            concurrency: opts.concurrency ?? 8,
            ...(prices ? { prices } : {}),
            ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
            ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
          });
    const retrievers = new Map<string, Retriever>();
    for (const [name, r] of Object.entries(task.manifest.resources)) {
      retrievers.set(
        name,
        await openBm25Index({
          name,
          corpusPath: join(task.dir, r.path),
          storeDir: join(task.dir, '.fapo'),
          k1: r.k1,
          b: r.b,
          stem: r.stem,
          stopwords: r.stopwords,
        }),
      );
    }
    const mcp = new McpServers(task.tools.mcp);
    const judgeModel = opts.judgeModel ?? task.manifest.judge?.model;
    return {
      task,
      store,
      mcp,
      model: opts.taskModel === false || taskModel === undefined ? noTaskModel(task) : client(taskModel),
      sampling: { ...task.manifest.sampling, ...opts.sampling },
      ...(judgeModel ? { judge: client(judgeModel) } : {}),
      meter,
      rateLimits,
      retrievers,
      executor,
      retrievalGuard: enforceRetrievalCaps(task.playbook.caps),
      caseTimeoutMs:
        opts.caseTimeoutMs ?? secondsToMs(task.manifest.sandbox.caseTimeoutSeconds) ?? DEFAULT_CASE_TIMEOUT_MS,
      client,
      async close() {
        await Promise.all([executor.close(), mcp.close()]);
        store.close();
      },
    };
  } catch (err) {
    await executor.close();
    store.close();
    throw err;
  }
}

export const DEFAULT_CASE_TIMEOUT_MS = 300_000;

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

/** Never called: the base URL is the workers' business, and the id (used for caching) excludes it. */
const REMOTE_BASE_URL = 'http://workers.invalid/v1';

function remoteOnlyClient(id: string): ModelClient {
  const spec = parseModelId(id, { openaiCompatibleBaseUrl: REMOTE_BASE_URL });
  return {
    id: spec.id,
    generate: () => Promise.reject(new FapoError(`${spec.id} is called by the queue workers, not by the coordinator`)),
  };
}

/** What every evaluation in an environment shares: pass it to evaluate() with the run's own options. */
export function evaluationInputs(
  env: Environment,
): Pick<
  EvaluateOptions,
  | 'task'
  | 'store'
  | 'model'
  | 'sampling'
  | 'executor'
  | 'retrievers'
  | 'retrievalGuard'
  | 'mcp'
  | 'remote'
  | 'caseTimeoutMs'
  | 'judge'
> {
  const { task, store, model, sampling, executor, retrievers, retrievalGuard, mcp, remote, caseTimeoutMs, judge } = env;
  return {
    task,
    store,
    model,
    sampling,
    executor,
    retrievers,
    retrievalGuard,
    mcp,
    caseTimeoutMs,
    ...(remote ? { remote } : {}),
    ...(judge ? { judge } : {}),
  };
}

function noTaskModel(task: TaskFiles): ModelClient {
  const id = task.manifest.model ?? 'none:none';
  return {
    id,
    generate: () => Promise.reject(new FapoError(`${id}: this environment has no default task model (a queue worker)`)),
  };
}

function taskModelId(task: TaskFiles, flag: string | undefined): string {
  const id = flag ?? task.manifest.model;
  if (!id)
    throw new FapoError(
      `${task.manifest.name}: no task model given`,
      'Pass --model provider:model (e.g. openai:gpt-4.1-mini), or set `model:` in fapo.task.yaml.',
    );
  return id;
}
