/**
 * `npm run bench:optimize`: the optimizer's cost figures on the offline demo (sim:qa stand-in model,
 * rule-based proposer, sandboxed chains):
 * - task-model calls paid vs what re-running every variant from scratch would cost (target ≥ 40% fewer);
 * - the optimizer's own overhead per round (wall time outside evaluations: attribution, proposal, review);
 * - the demo's wall time (target: under a minute).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG } from '../src/cli/commands/demo.ts';
import { copyExampleTask } from '../src/cli/commands/init.ts';
import { createFapoStrategy } from '../src/optimize/fapo/controller.ts';
import { optimize } from '../src/optimize/session.ts';
import { taskCallSavings } from '../src/models/meter.ts';
import { installSimBehaviours } from '../src/testing/index.ts';
import { evaluationClock } from './evaluation-time.ts';
import { sized } from './quick.ts';

installSimBehaviours(); // the demo's task model is the sim:qa stand-in

const evaluations = evaluationClock();

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-opt-'));
try {
  const dir = copyExampleTask(join(root, 'task'));
  const started = performance.now();
  let rounds = 0;
  const out = await optimize({
    taskDir: dir,
    config: sized(DEMO_CONFIG, { ...DEMO_CONFIG, trials: 1, budget: { maxVariants: 2, maxRounds: 1 } }),
    strategy: (o) => createFapoStrategy(o),
    onEvent: (event) => {
      if (event.type === 'round-start') rounds++;
    },
  });
  const wallMs = performance.now() - started;
  const task = out.usage.roles.task!;
  const { fromScratch: scratch, savedFraction } = taskCallSavings(task);
  const saved = savedFraction ?? 0;
  const overhead = (wallMs - evaluations.ms) / Math.max(1, rounds);
  const line = (met: boolean, name: string, value: string, target: string) =>
    console.log(`${met ? 'MET    ' : 'NOT MET'}  ${name.padEnd(52)} ${value.padEnd(30)} target ${target}`);
  console.log('fapo bench:optimize — offline demo (sim:qa stand-in model, rule-based proposer, sandbox on)\n');
  line(
    saved >= 0.4,
    'task-model calls paid vs from scratch',
    `${task.calls} vs ${scratch} (${(100 * saved).toFixed(0)}% fewer)`,
    '≥ 40% fewer',
  );
  line(
    true,
    'optimizer overhead per round (outside evaluations)',
    `${overhead.toFixed(0)} ms over ${rounds} rounds`,
    'reported',
  );
  line(wallMs < 60_000, 'demo wall time (search + final test)', `${(wallMs / 1000).toFixed(1)} s`, '< 60 s');
  console.log(
    `\nbaseline val ${(100 * out.result.trajectory[0]!.valMean!).toFixed(1)} → selected v${out.result.best.seq} val ${(100 * out.result.bestValidation.summary.mean!).toFixed(1)}; test ${(100 * out.test.baseline.summary.mean!).toFixed(1)} → ${(100 * out.test.best.summary.mean!).toFixed(1)}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
