/**
 * GEPA cross-check: fapo's GEPA strategy vs Ax's AxGEPA on the same small task, with the same
 * scripted task and reflection models behind a fake OpenAI-compatible server (127.0.0.1, one server
 * per framework so paid calls are counted apart). The scripted models are deterministic STAND-INS,
 * not language models; only the frameworks' behaviour and cost are compared.
 *
 * Task: a 6-step chain. A case reads `item-07 needs 2,5`; step k appends ` sk`, or ` sk+` when the case
 * needs k and step k's instruction mentions `tag-k`. Score 1 iff every needed step is marked `+`;
 * feedback names each step that must apply its tag. The scripted reflector adds `Apply tag-k.` to
 * step k's instruction when the feedback it sees asks for it, else `Be careful.` (no effect).
 *
 * Two modes, both printed by default:
 * - `default`: fapo as users run it: 16 concurrent task calls and the response cache (a repeated
 *   rollout is not paid again);
 * - `like-for-like`: fapo with one call at a time and no response cache, as Ax runs, so wall time and
 *   paid calls compare the algorithms' bookkeeping rather than fapo's concurrency and cache.
 *
 *   npm run bench:gepa                      # 200 ms model, 500 metric calls (Ax takes ~10 min)
 *   npm run bench:gepa -- --latency 20 --budget 120   # a quick look
 *   npm run bench:gepa -- --mode like-for-like
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AxAIOpenAI, AxGEPA, AxGen, AxProgram } from '@ax-llm/ax';
import { createGepaStrategy, type GepaState, loadGepaState } from '../src/optimize/gepa/index.ts';
import { SessionState } from '../src/optimize/session-state.ts';
import { optimize } from '../src/optimize/session.ts';
import { Store } from '../src/eval/store.ts';
import { type FakeLlmServer, type FakeRequest, startFakeOpenAI } from '../test/fixtures/fake-openai.ts';
import { benchArgs, sized } from './quick.ts';

const { values: args } = parseArgs({
  args: benchArgs(),
  options: {
    latency: { type: 'string', default: sized('200', '0') },
    budget: { type: 'string', default: sized('500', '30') },
    'skip-ax': { type: 'boolean', default: false },
    'no-overhead': { type: 'boolean', default: false },
    mode: { type: 'string', default: 'both' },
  },
});
const MODES = { default: { concurrency: 16, cache: true }, 'like-for-like': { concurrency: 1, cache: false } } as const;
type Mode = keyof typeof MODES;
const modes: Mode[] = args.mode === 'both' ? ['default', 'like-for-like'] : [args.mode as Mode];
if (!modes.every((m) => m in MODES))
  throw new Error(`--mode must be default, like-for-like or both (got ${args.mode})`);
const LATENCY = Number(args.latency);
const BUDGET = Number(args.budget);
const STEPS = 6;
const N_TRAIN = 12;
const N_VAL = 12;
const N_TEST = 6;

// ---- the scripted world (shared by both frameworks) -------------------------------------------

interface Item {
  id: string;
  text: string;
  needs: number[];
}

function items(prefix: string, n: number, offset: number): Item[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const needs = [...new Set([(k % STEPS) + 1, ...(k % 3 === 0 ? [((k * 5) % STEPS) + 1] : [])])].sort();
    const id = `${prefix}${String(k).padStart(2, '0')}`;
    return { id, text: `item-${id} needs ${needs.join(',')}`, needs };
  });
}
const TRAIN = items('t', N_TRAIN, 0);
const VAL = items('v', N_VAL, 100);
const TEST = items('x', N_TEST, 200);

const needsOf = (text: string) => (/needs ([\d,]+)/.exec(text)?.[1] ?? '').split(',').filter(Boolean).map(Number);

/** The scripted task model: one pipeline step. */
function stepModel(instruction: string, input: string): string {
  const k = Number(/Step (\d)/.exec(instruction)?.[1] ?? 0);
  const applied = needsOf(input).includes(k) && instruction.includes(`tag-${k}`);
  return `${input.trim()} s${k}${applied ? '+' : ''}`;
}

function scoreOf(output: string, text: string): { score: number; feedback: string } {
  const missing = needsOf(text).filter((k) => !output.includes(`s${k}+`));
  return {
    score: missing.length ? 0 : 1,
    feedback: missing.length ? missing.map((k) => `Step ${k} must apply tag-${k}.`).join(' ') : 'Correct.',
  };
}

/** The scripted reflector: from the current instruction of step k and the evidence it was shown. */
function rewrite(current: string, evidence: string): string {
  const k = Number(/Step (\d)/.exec(current)?.[1] ?? 0);
  const rule =
    evidence.includes(`Step ${k} must apply tag-${k}`) && !current.includes(`tag-${k}`)
      ? `Apply tag-${k}.`
      : 'Be careful.';
  // The rule joins the instruction line (a fapo template also has a `User:` line below it).
  return current.trim().replace(/^(.*Step \d.*)$/m, `$1 ${rule}`);
}

/** Answers both frameworks' requests; `kinds` counts each kind of paid call. */
function responder(kinds: Map<string, number>, components: string[]) {
  const count = (kind: string) => kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  return (req: FakeRequest) => {
    const messages: { role: string; content: string }[] = req.body.messages.map((m: any) => ({
      role: m.role,
      content: typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text ?? '').join(''),
    }));
    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    const user = messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    if (system.includes('wire key: `stepOutput`')) {
      count('task');
      const instruction = /<task_definition>\n([\s\S]*?)\n<\/task_definition>/.exec(system)?.[1] ?? '';
      return { text: `stepOutput: ${stepModel(instruction, /Work Text: ([^\n]*)/.exec(user)?.[1] ?? '')}` };
    }
    if (system.includes('wire key: `feedbackSummary`')) {
      count('reflection (critic)');
      components.push(/Target Id: ([^\n]*)/.exec(user)?.[1] ?? '?');
      return {
        text: `feedbackSummary: ${[...new Set(user.match(/Step \d must apply tag-\d\./g) ?? [])].join(' ') || 'No specific feedback.'}`,
      };
    }
    if (system.includes('wire key: `newValue`')) {
      count('reflection (proposer)');
      const current = /Current Value: ([^\n]*)/.exec(user)?.[1] ?? '';
      return { text: `newValue: ${rewrite(current, user)}` };
    }
    if (user.includes('Write a new, improved instruction')) {
      count('reflection');
      const current = user.split('```')[1]!.trim();
      return { text: `\`\`\`\n${rewrite(current, user)}\n\`\`\`` };
    }
    count('task');
    return { text: stepModel(system, user) };
  };
}

// ---- ours: a fapo workspace for the same task --------------------------------------------------

function writeWorkspace(dir: string, url: string): void {
  mkdirSync(join(dir, 'prompts'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const steps = Array.from({ length: STEPS }, (_, i) => `s${i + 1}`);
  writeFileSync(
    join(dir, 'fapo.task.yaml'),
    `name: six-step\nmodel: openai-compatible:task@${url}\nsampling:\n  temperature: 0\n  maxTokens: 64\n`,
  );
  writeFileSync(join(dir, 'playbook.yaml'), 'levels: [prompt]\nallowedFiles: [prompts/**]\n');
  writeFileSync(join(dir, 'params.json'), '{}\n');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(dir, 'chain.ts'),
    `import { defineChain, llm } from 'fapo';\n\nexport default defineChain({\n  name: 'six-step',\n  steps: [${steps.map((s) => `llm('${s}')`).join(', ')}],\n});\n`,
  );
  steps.forEach((s, i) => {
    const input = i === 0 ? '${input.text}' : `\${steps.s${i}.output}`;
    writeFileSync(
      join(dir, 'prompts', `${s}.md`),
      `System: Step ${i + 1}: copy the text and append your step tag.\nUser: ${input}\n`,
    );
  });
  writeFileSync(
    join(dir, 'scorer.ts'),
    `import { defineScorer } from 'fapo';\n\nconst needs = (t: string) => (/needs ([\\d,]+)/.exec(t)?.[1] ?? '').split(',').filter(Boolean).map(Number);\n\nexport default defineScorer(({ case: c, output }) => {\n  const missing = needs(String(c.input.text)).filter((k) => !String(output).includes(\`s\${k}+\`));\n  return { score: missing.length ? 0 : 1, feedback: missing.length ? missing.map((k) => \`Step \${k} must apply tag-\${k}.\`).join(' ') : 'Correct.' };\n});\n`,
  );
  for (const [split, list] of [
    ['train', TRAIN],
    ['val', VAL],
    ['test', TEST],
  ] as const) {
    writeFileSync(
      join(dir, 'data', `${split}.jsonl`),
      `${list
        .map((it) => JSON.stringify({ id: it.id, input: { text: it.text }, expected: it.needs.join(',') }))
        .join('\n')}\n`,
    );
  }
}

interface RunReport {
  name: string;
  wallMs: number;
  metricCalls: number;
  paidCalls: Map<string, number>;
  candidates: number;
  accepted: number;
  iterations: { kind: string; metricCalls: number; accepted: boolean; note?: string }[];
  components: string[];
  bestVal: number;
}

async function runOurs(server: FakeLlmServer, kinds: Map<string, number>, mode: Mode): Promise<RunReport> {
  const root = mkdtempSync(join(tmpdir(), 'fapo-bench-gepa-'));
  const dir = join(root, 'task');
  try {
    writeWorkspace(dir, server.url);
    const started = performance.now();
    const outcome = await optimize({
      taskDir: dir,
      config: {
        strategy: 'gepa',
        trials: 1,
        seed: 0,
        concurrency: MODES[mode].concurrency,
        responseCache: MODES[mode].cache,
        budget: { maxVariants: Number.MAX_SAFE_INTEGER, maxRounds: Number.MAX_SAFE_INTEGER },
        roles: { reflection: `openai-compatible:reflect@${server.url}` },
        accept: 'mean',
        sandbox: false,
        strategyOptions: { maxMetricCalls: BUDGET },
      },
      strategy: (o) => createGepaStrategy(o),
    });
    const wallMs = performance.now() - started;
    const store = Store.open(dir);
    let state: GepaState;
    try {
      state = loadGepaState(new SessionState(store, outcome.session.id))!;
    } finally {
      store.close();
    }
    let previous = N_VAL;
    return {
      name: `fapo GEPA (${mode}: ${MODES[mode].concurrency} concurrent call${MODES[mode].concurrency > 1 ? 's' : ''}, response cache ${MODES[mode].cache ? 'on' : 'off'})`,
      wallMs,
      metricCalls: state.metricCalls,
      paidCalls: new Map(kinds),
      candidates: state.candidates.length,
      accepted: state.iterations.filter((it) => it.accepted).length,
      iterations: state.iterations.map((it) => {
        const calls = it.metricCallsAfter - previous;
        previous = it.metricCallsAfter;
        return { kind: it.kind, metricCalls: calls, accepted: it.accepted, ...(it.note ? { note: it.note } : {}) };
      }),
      components: state.iterations.flatMap((it) => it.proposals.map((p) => p.component)),
      bestVal: state.candidates[state.best!]!.valMean,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---- Ax: the same chain as an AxProgram of six AxGen steps -------------------------------------

type StepIn = { workText: string };
type StepOut = { stepOutput: string };

class SixSteps extends AxProgram<StepIn, StepOut> {
  private readonly gens: AxGen<StepIn, StepOut>[] = [];
  constructor() {
    super('workText:string -> stepOutput:string');
    for (let k = 1; k <= STEPS; k++) {
      const gen = new AxGen<StepIn, StepOut>('workText:string -> stepOutput:string');
      gen.setInstruction(`Step ${k}: copy the text and append your step tag.`);
      this.register(gen as never, `s${k}`);
      this.gens.push(gen);
    }
  }
  async forward(ai: any, values: StepIn, options?: any): Promise<StepOut> {
    let text = values.workText;
    for (const gen of this.gens) text = (await gen.forward(ai, { workText: text }, options)).stepOutput;
    return { stepOutput: text };
  }
}

async function runAx(server: FakeLlmServer, kinds: Map<string, number>, components: string[]): Promise<RunReport> {
  const ai = new AxAIOpenAI({
    apiKey: 'fake',
    apiURL: server.url,
    config: { model: 'fake-model' as never, stream: false },
  });
  const program = new SixSteps();
  let metricCalls = 0;
  const iterations: RunReport['iterations'] = [];
  let lastCalls = Math.min(N_VAL, BUDGET); // the seed's validation pass comes first
  let previousAccepted = false;
  // Ax logs "Accepted" before the child's validation pass: move those |V| calls to the accepting iteration.
  const log = (line: string) => {
    const m = /Iteration \d+: (Accepted|Rejected|Merge accepted)/.exec(line);
    if (!m) return;
    const accepted = m[1] !== 'Rejected';
    const calls = metricCalls - lastCalls - (previousAccepted ? N_VAL : 0) + (accepted ? N_VAL : 0);
    iterations.push({ kind: m[1]!.startsWith('Merge') ? 'merge' : 'mutation', metricCalls: calls, accepted });
    lastCalls = metricCalls;
    previousAccepted = accepted;
  };
  const optimizer = new AxGEPA({
    studentAI: ai,
    numTrials: 1_000_000, // the budget, not a trial count, ends the run (as in the reference)
    earlyStoppingTrials: 1_000_000,
    minibatchSize: 3,
    paretoSetSize: N_VAL, // default max(10, 3·b) would truncate the validation set
    mergeMax: 0, // merge off, as in gepa.optimize and the FAPO comparison
    seed: 0,
    verbose: false,
    optimizerLogger: () => {},
  } as never);
  const asExample = (it: Item) => ({ workText: it.text });
  const originalLog = console.log;
  console.log = (...a: unknown[]) => log(a.map(String).join(' '));
  const started = performance.now();
  let result;
  try {
    result = await optimizer.compile(
      program as never,
      TRAIN.map(asExample),
      async ({ prediction, example }: any) => {
        metricCalls++;
        return scoreOf(String(prediction?.stepOutput ?? ''), String(example.workText)).score;
      },
      {
        validationExamples: VAL.map(asExample),
        maxMetricCalls: BUDGET,
        verbose: true,
        skipPerfectScore: true,
        feedbackFn: ({ prediction, example }: any) =>
          scoreOf(String(prediction?.stepOutput ?? ''), String(example.workText)).feedback,
      } as never,
    );
  } finally {
    console.log = originalLog;
  }
  const wallMs = performance.now() - started;
  return {
    name: 'Ax AxGEPA',
    wallMs,
    metricCalls,
    paidCalls: new Map(kinds),
    candidates: (result as any).finalConfiguration?.candidates ?? 0,
    accepted: iterations.filter((it) => it.accepted).length,
    iterations,
    components: [...components],
    bestVal: (result as any).bestScore ?? 0,
  };
}

// ---- report -------------------------------------------------------------------------------------

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const fmtCalls = (m: Map<string, number>) => `${total(m)} (${[...m].map(([k, v]) => `${k} ${v}`).join(', ')})`;

function describe(r: RunReport): string[] {
  const perIteration = r.iterations
    .map((it) => `${it.metricCalls}${it.accepted ? '+' : it.note?.startsWith('skipped') ? 's' : ''}`)
    .join(' ');
  const short = r.components.map((c) => /s(\d)/.exec(c)?.[1] ?? '?').join('');
  return [
    `${r.name}`,
    `  wall time            ${(r.wallMs / 1000).toFixed(1)} s`,
    `  metric calls         ${r.metricCalls} (budget ${BUDGET})`,
    `  paid model calls     ${fmtCalls(r.paidCalls)}`,
    `  iterations           ${r.iterations.length}; accepted ${r.accepted}; candidates ${r.candidates}; best val mean ${r.bestVal.toFixed(3)}`,
    `  calls per iteration  ${perIteration}   (+ accepted, s skipped-perfect${r.name.startsWith('Ax') ? '; Ax logs no skipped iteration, so its b calls join the next one' : ''})`,
    `  components reflected ${short}   (step numbers, in order)`,
  ];
}

async function runBoth(latencyMs: number, withAx: boolean, mode: Mode): Promise<{ ours: RunReport; ax?: RunReport }> {
  const oursKinds = new Map<string, number>();
  const oursServer = await startFakeOpenAI({ latencyMs, respond: responder(oursKinds, []) });
  const ours = await runOurs(oursServer, oursKinds, mode).finally(() => oursServer.close());
  if (!withAx) return { ours };
  const axKinds = new Map<string, number>();
  const axComponents: string[] = [];
  const axServer = await startFakeOpenAI({ latencyMs, respond: responder(axKinds, axComponents) });
  const ax = await runAx(axServer, axKinds, axComponents).finally(() => axServer.close());
  return { ours, ax };
}

console.log(
  `GEPA bench: ${STEPS}-step chain, ${N_TRAIN} train / ${N_VAL} val cases, b = 3, budget ${BUDGET} metric calls, scripted models answering in ${LATENCY} ms (stand-ins, not real models)\n`,
);
// Ax runs once (it has no such modes); each fapo mode runs against its own fresh server.
let axReport: RunReport | undefined;
for (const mode of modes) {
  const run = await runBoth(LATENCY, !args['skip-ax'] && axReport === undefined, mode);
  axReport ??= run.ax;
  for (const line of describe(run.ours)) console.log(line);
  if (axReport) {
    console.log(
      `  wall time ratio (Ax / this)      ${(axReport.wallMs / run.ours.wallMs).toFixed(1)}x  (target ≥ 10x in default mode)`,
    );
    console.log(
      `  paid model calls (this vs Ax)    ${total(run.ours.paidCalls)} vs ${total(axReport.paidCalls)}  (target: ≤ Ax)`,
    );
  }
  console.log('');
}
if (axReport) for (const line of describe(axReport)) console.log(line);
if (!args['no-overhead'] && axReport) {
  // Framework overhead per rollout: the same runs with a model that answers at once, like for like.
  const zero = await runBoth(0, true, 'like-for-like');
  const perRollout = (r: RunReport) => r.wallMs / r.metricCalls;
  console.log('');
  console.log(
    `framework overhead per rollout (0 ms model, same budget, like-for-like): ours ${perRollout(zero.ours).toFixed(2)} ms, Ax ${perRollout(zero.ax!).toFixed(2)} ms, ratio Ax/ours ${(perRollout(zero.ax!) / perRollout(zero.ours)).toFixed(2)}`,
  );
}
