import { resolve } from 'node:path';
import { openEnvironment } from '../../eval/environment.ts';
import { calibrateJudge, readLabels } from '../../eval/judge-calibration.ts';
import { FapoError } from '../../util/errors.ts';
import { parsePositiveInt } from './eval.ts';
import { simNotice, table } from '../format.ts';

export interface CalibrateFlags {
  labels: string;
  judgeModel?: string;
  threshold: string;
  concurrency: string;
  prices?: string;
  json?: boolean;
}

/** `fapo judge calibrate`: how often the task's judge scorer agrees with people's labels. */
export async function calibrateCommand(taskDir: string, flags: CalibrateFlags): Promise<number> {
  const threshold = Number(flags.threshold);
  if (!(threshold > 0 && threshold <= 1))
    throw new FapoError(`--threshold must be a score in (0,1], got "${flags.threshold}"`);
  const env = await openEnvironment(taskDir, {
    taskModel: false,
    ...(flags.judgeModel ? { judgeModel: flags.judgeModel } : {}),
    ...(flags.prices ? { pricesPath: flags.prices } : {}),
  });
  try {
    if (!env.judge)
      throw new FapoError(
        `${env.task.manifest.name}: no judge model to calibrate`,
        'Pass --judge-model provider:model, or set `judge: { model: provider:model }` in fapo.task.yaml.',
      );
    const labels = readLabels(resolve(flags.labels), env.task, threshold);
    const result = await calibrateJudge({
      task: env.task,
      judge: env.judge,
      labels,
      threshold,
      concurrency: parsePositiveInt('concurrency', flags.concurrency),
    });
    env.store.flush();
    const usage = env.meter.usage('judge');
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...result, usage }, null, 2)}\n`);
      return 0;
    }
    const notice = simNotice([env.judge.id]);
    if (notice) console.log(notice);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(`judge ${result.judge} against ${result.n} labelled outputs (pass at score >= ${threshold})`);
    console.log(
      `agreement ${pct(result.accuracy)}; Cohen's kappa ${result.kappa === null ? 'undefined (one class only)' : result.kappa.toFixed(3)}`,
    );
    const t = table(['', 'judge: pass', 'judge: fail']);
    t.push(['human: pass', result.confusion.humanPass.judgePass, result.confusion.humanPass.judgeFail]);
    t.push(['human: fail', result.confusion.humanFail.judgePass, result.confusion.humanFail.judgeFail]);
    console.log(t.toString());
    const parted = result.cases.filter((c) => c.human !== c.judge);
    if (parted.length) {
      console.log(`where they part (${parted.length}):`);
      for (const c of parted.slice(0, 20))
        console.log(
          `  ${c.id}: human ${c.human ? 'pass' : 'fail'}, judge ${c.score.toFixed(2)}${c.feedback ? ` — ${c.feedback.split('\n')[0]}` : ''}`,
        );
    }
    console.log(`judge calls paid: ${usage.calls}, cached: ${usage.cacheHits}, cost $${usage.costUsd.toFixed(4)}`);
    console.log(
      result.kappa !== null && result.kappa >= 0.6
        ? 'kappa >= 0.6: substantial agreement.'
        : 'kappa below 0.6: treat this judge with care (refine the guideline or rubric, or use a stronger judge).',
    );
    return 0;
  } finally {
    await env.close();
  }
}
