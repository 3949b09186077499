// @ts-check
/**
 * fapo's command table, in plain JavaScript on purpose: it loads without the TypeScript loader, so
 * `fapo --help` and argument errors answer in about a tenth of a second. A command's implementation
 * (TypeScript, with the AI SDK, SQLite, esbuild …) is loaded only when that command runs: to add a
 * command, declare it here with `.action(lazy('<module in ./commands>', '<exported function>'))`.
 */
import { Command, Option } from 'commander';
import { FAPO_VERSION } from '../version.js';

/**
 * An action that registers tsx (once), then loads `./commands/<module>.ts` and runs its export with
 * the command's arguments and options (commander passes the Command object last; it is dropped).
 * @param {string} module
 * @param {string} exported
 */
function lazy(module, exported) {
  return async (/** @type {unknown[]} */ ...args) => {
    const { register } = await import('tsx/esm/api');
    register();
    const { runCommand } = await import('./run.ts');
    const commands = await import(`./commands/${module}.ts`);
    await runCommand(() => commands[exported](...args.slice(0, -1)));
  };
}

const program = new Command()
  .name('fapo')
  .description('Fully Autonomous Prompt Optimization for multi-step LLM pipelines')
  .version(FAPO_VERSION)
  .showHelpAfterError();

program
  .command('init')
  .argument('<dir>', 'folder to create')
  .description('scaffold a working task workspace (a bundled example that runs offline)')
  .option('--template <name>', 'qa: multi-hop QA over a corpus; agent: a tool-using support agent', 'qa')
  .action(lazy('init', 'initCommand'));

program
  .command('eval')
  .argument('<task>', 'task workspace folder')
  .description('evaluate a variant on a split over N trials (resumable)')
  .option('--variant <ref>', 'variant hash, prefix or vN (default: the workspace files, registered as the baseline)')
  .option('--split <split>', 'train | val | test', 'val')
  .option('--trials <n>', 'independent trials', '1')
  .option('--model <id>', "task model provider:model (default: the manifest's)")
  .option('--concurrency <n>', 'concurrent model calls', '8')
  .option('--limit <n>', 'only the first N cases of the split')
  .option('--prices <file>', 'JSON price table overriding the defaults')
  .option('--timeout <ms>', 'per model call timeout, retries included')
  .option('--max-retries <n>', 'provider retries after the first attempt (honouring Retry-After)', '3')
  .option('--rpm <n>', "task model's requests-per-minute limit (over fapo.models.yaml)")
  .option('--tpm <n>', "task model's tokens-per-minute limit (over fapo.models.yaml)")
  .option('--models-config <file>', 'per-model rate limits (default: fapo.models.yaml in the workspace, if present)')
  .option(
    '--batch',
    'send the model calls as provider batch jobs (OpenAI Batch / Anthropic Message Batches, 50% price; resumable)',
  )
  .option('--batch-poll <seconds>', 'time between batch status polls', '30')
  .option('--no-sandbox', 'run chain code in this process (only for code you trust)')
  .option('--queue <url>', 'dispatch the cases to `fapo worker`s through BullMQ on this Redis (redis://host:6379)')
  .option('--max-calls <n>', 'hard cap on provider calls (shared by every worker with --queue)')
  .option('--max-cost <usd>', 'hard cap on dollars spent (shared by every worker with --queue)')
  .option('--json', 'machine-readable output')
  .action(lazy('eval', 'evalCommand'));

program
  .command('worker')
  .argument('[tasks...]', 'task workspace folders whose evaluation cases this worker runs (one queue per task name)')
  .description('run evaluation cases and bench cells taken from BullMQ queues on Redis (see docs/scale-out.md)')
  .requiredOption('--queue <url>', 'Redis holding the queues, e.g. redis://host:6379')
  .option('--bench-out <dir>', 'also run `fapo bench --queue` cells, in per-settings folders under this one')
  .option('--concurrency <n>', 'cases run at once per task', '4')
  .option('--model-concurrency <n>', 'concurrent provider calls per model', '8')
  .option('--lock-ms <ms>', 'job lock: a worker silent this long is presumed dead and its case retried', '30000')
  .option('--stalled-ms <ms>', 'how often to look for cases of dead workers (default: half the lock)')
  .option('--max-stalled <n>', 'times a case may lose its worker before it is reported failed', '5')
  .option('--prices <file>', 'JSON price table overriding the defaults')
  .option('--timeout <ms>', 'per model call timeout, retries included')
  .option('--max-retries <n>', 'provider retries after the first attempt (honouring Retry-After)', '3')
  .option('--no-sandbox', 'run chain code in this process (only for code you trust)')
  .action(lazy('worker', 'workerCommand'));

program
  .command('variants')
  .argument('<task>', 'task workspace folder')
  .description('list the variants recorded in a workspace')
  .option('--json', 'machine-readable output')
  .action(lazy('variants', 'variantsCommand'));

program
  .command('optimize')
  .argument('<task>', 'task workspace folder')
  .description('optimize a pipeline: FAPO (attribution-driven, prompt-first, reviewed, validated) or GEPA')
  .option('--strategy <name>', 'fapo | gepa', 'fapo')
  .option(
    '--proposer <kind>',
    'fapo proposer: rules (model-free) | agent | claude-code | codex (these need --optimizer-model)',
    'rules',
  )
  .option('--trials <n>', 'validation trials per variant', '3')
  .option('--seed <n>', 'random seed', '0')
  .option('--model <id>', "task model (default: the manifest's)")
  .option(
    '--optimizer-model <id>',
    'model for the optimizer roles (proposer; analyst, reviewer and reflection default to it)',
  )
  .option('--analyst-model <id>', 'attribution analyst model')
  .option('--reviewer-model <id>', 'independent reviewer model')
  .option('--reflection-model <id>', 'GEPA reflection model')
  .option('--concurrency <n>', 'concurrent task-model calls', '8')
  .option('--timeout <ms>', 'per model call timeout of every role, retries included (default 120000)')
  .option('--max-variants <n>', 'variant budget', '50')
  .option('--max-rounds <n>', 'round budget', '10')
  .option('--max-task-calls <n>', 'task-model call budget (cache hits are free)')
  .option('--max-optimizer-tokens <n>', 'token budget of the optimizer roles together')
  .option('--max-cost <usd>', 'dollar budget over every role')
  .option('--max-wall-time <seconds>', 'wall-time budget of the search')
  .option('--accept <rule>', 'mean (any validation gain) | significant (paired CI above 0)', 'mean')
  .option('--target <score>', 'stop once validation reaches this score in [0,1]')
  .option('--max-metric-calls <n>', 'GEPA budget in metric calls (one candidate run on one case)')
  .option('--gepa-budget <task>', "GEPA: the paper's budget for hotpotqa | hover | ifbench | pupa | aime | livebench")
  .option('--use-merge', 'GEPA: enable system-aware merge')
  .option('--resume [session]', 'continue the latest unfinished session (or the one named)')
  .option('--no-analyst', 'ablation: no analyst model in attribution')
  .option('--no-reviewer', 'ablation: no reviewer model (deterministic checks still run)')
  .option('--no-sandbox', 'run chain code in this process (only for code you trust)')
  .option('--queue <url>', 'evaluate on `fapo worker`s through BullMQ on this Redis (redis://host:6379)')
  .option('--json', 'machine-readable output')
  .action(lazy('optimize', 'optimizeCommand'));

program
  .command('attribute')
  .argument('<task>', 'task workspace folder')
  .description('show the failure attribution stored per optimization round, or attribute a variant now')
  .option('--session <id>', "only this session's rounds")
  .option('--round <n>', 'only this round')
  .option('--variant <ref>', "attribute this variant's train failures now")
  .option('--model <id>', 'task model for a fresh attribution')
  .option('--analyst-model <id>', 'analyst model for low-confidence cases (default: rules only)')
  .option('--trials <n>', 'train trials for a fresh attribution', '1')
  .option('--no-sandbox', 'run chain code in this process (only for code you trust)')
  .option('--json', 'machine-readable output')
  .action(lazy('attribute', 'attributeCommand'));

const bench = program
  .command('bench')
  .description(
    'run the study: every (task, task model, strategy, trial) cell on the shipped benchmarks (resumable), then the table',
  )
  .option('--tasks <list>', 'comma-separated: hotpotqa,hover,ifbench,pupa,aime,livebench-math,ctibench (required)')
  .option('--strategies <list>', 'comma-separated: baseline,fapo,gepa', 'baseline,fapo,gepa')
  .option('--task-model <ids>', 'task model provider:model, several comma-separated (required)')
  .option('--optimizer-model <id>', 'model for the optimizer roles (FAPO proposer/analyst/reviewer, GEPA reflection)')
  .option(
    '--pupa-judge <id>',
    'judge model that re-scores PUPA test outputs (quality and leakage judges, as in PAPILLON)',
  )
  .option('--trials <n>', 'independent optimization runs per cell', '3')
  .option('--budget <paper|n>', 'GEPA metric calls: "paper" (per-task budgets of the GEPA study) or a number', 'paper')
  .option('--max-variants <n>', 'FAPO variant budget', '50')
  .option('--max-rounds <n>', 'FAPO round budget', '10')
  .option('--proposer <kind>', 'FAPO proposer: agent (default with --optimizer-model) | rules')
  .option('--limit <n>', 'only the first N cases of every split (smoke runs; not the study)')
  .option('--out <dir>', 'output folder: per-cell workspaces (sessions resume there) and the table', 'bench-out')
  .option('--concurrency <n>', 'concurrent task-model calls', '8')
  .option('--batch', 'baseline cells: test evaluation through provider batch jobs (50% price; resumable)')
  .option('--batch-poll <seconds>', 'time between batch status polls', '30')
  .option('--no-sandbox', 'run chain code in this process (only for code you trust)')
  .option('--queue <url>', 'run the cells on `fapo worker --bench-out`s through BullMQ on this Redis')
  .option('--json', 'machine-readable output')
  .action(lazy('bench', 'benchCommand'));

bench
  .command('ifbench-verify')
  .description('score {prompt, response} JSONL with the IFBench checkers; write reference-format results')
  .requiredOption('--input <file>', 'JSONL of {prompt, response}')
  .requiredOption('--output <file>', 'where to write the result rows')
  .option('--loose', 'loose evaluation (default strict)')
  .option('--json', 'print the summary as JSON')
  .action(lazy('bench', 'ifbenchVerifyCommand'));

program
  .command('report')
  .argument('<task>', 'task workspace folder')
  .description('write the report of a finished optimization session (Markdown, JSON, HTML, change log)')
  .option('--session <id>', 'the session (default: the latest finished one)')
  .action(lazy('report', 'reportCommand'));

program
  .command('demo')
  .description('run the whole FAPO loop offline on the bundled example (sim model, rule-based proposer)')
  .option('--dir <dir>', 'where to put the demo workspace (default: a temp folder)')
  .action(lazy('demo', 'demoCommand'));

program
  .command('ui')
  .argument('[dirs...]', 'task workspaces, or folders holding them (e.g. a fapo bench output folder)', ['.'])
  .description("serve a read-only local explorer of sessions, runs, variants and every case's steps")
  .option('--port <n>', 'port (default: a free one)')
  .option('--host <host>', 'address to bind (default 127.0.0.1; any other gets an access token)')
  .action(lazy('ui', 'uiCommand'));

program.addOption(new Option('--debug', 'print stack traces').hideHelp());

await program.parseAsync(process.argv);
