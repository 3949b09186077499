import { renderAttributionMarkdown } from '../../attribution/markdown.ts';
import { type AttributionReport, attributeFailures } from '../../attribution/report.ts';
import { evaluationInputs, openEnvironment } from '../../eval/environment.ts';
import { evaluate } from '../../eval/runner.ts';
import { resolveVariant } from '../../eval/resolve-variant.ts';
import { ATTRIBUTION_DOC } from '../../optimize/fapo/controller.ts';
import { FapoError } from '../../util/errors.ts';
import { parsePositiveInt } from './eval.ts';

export interface AttributeFlags {
  session?: string;
  round?: string;
  variant?: string;
  model?: string;
  analystModel?: string;
  trials: string;
  json?: boolean;
  sandbox: boolean;
}

/**
 * `fapo attribute <task>`: shows the attribution reports an optimization stored per round, or, with
 * `--variant` (or when there are none), attributes a variant's train failures now.
 */
export async function attributeCommand(taskDir: string, flags: AttributeFlags): Promise<number> {
  const env = await openEnvironment(taskDir, { model: flags.model, sandbox: flags.sandbox });
  try {
    let reports = env.store.listDocs<AttributionReport>(
      ATTRIBUTION_DOC,
      flags.session ? { prefix: `${flags.session}:` } : {},
    );
    if (flags.round) reports = reports.filter((r) => r.id.split(':')[1] === flags.round);
    if (flags.variant || reports.length === 0) {
      if (flags.session || flags.round)
        throw new FapoError(
          `no attribution stored for ${flags.session ? `session ${flags.session}` : ''}${flags.round ? ` round ${flags.round}` : ''}`,
        );
      const variant = resolveVariant(env.store, env.task, flags.variant);
      const outcome = await evaluate({
        ...evaluationInputs(env),
        variant,
        split: 'train',
        trials: parsePositiveInt('trials', flags.trials),
        concurrency: 8,
        purpose: 'attribute',
      });
      const report = await attributeFailures(
        {
          variant: variant.hash,
          split: 'train',
          cases: env.task.datasets.train.cases,
          results: env.store.resultsFor(outcome.run.id),
          chain: await env.executor.describe(variant),
          prompts: variant.prompts,
          goldEvidenceKey: env.task.manifest.goldEvidence,
          allowedLevels: env.task.playbook.levels,
          caps: env.task.playbook.caps,
          tunableParams: env.task.playbook.tunableParams,
          params: variant.params,
        },
        flags.analystModel ? { analyst: env.client(flags.analystModel) } : { useAnalyst: false },
      );
      reports = [{ id: `now:v${variant.seq}`, value: report }];
    }
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify(
          reports.map((r) => ({ id: r.id, ...r.value })),
          null,
          2,
        )}\n`,
      );
    else for (const r of reports) console.log(`## ${r.id}\n\n${renderAttributionMarkdown(r.value)}`);
    return 0;
  } finally {
    await env.close();
  }
}
