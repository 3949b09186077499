import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BUDGET } from '../../optimize/budget.ts';
import type { SessionConfig } from '../../optimize/session.ts';
import { copyExampleTask } from './init.ts';
import { printOutcome, runOptimize, saveReport } from './optimize.ts';

export const DEMO_CONFIG: SessionConfig = {
  strategy: 'fapo',
  trials: 3,
  seed: 0,
  concurrency: 8,
  budget: DEFAULT_BUDGET,
  roles: {},
  accept: 'mean',
  sandbox: true,
  strategyOptions: { proposer: 'rules' },
};

/** `fapo demo`: the whole loop, offline, on a temporary copy of the example task. */
export async function demoCommand(flags: { dir?: string }): Promise<number> {
  const dir = copyExampleTask(flags.dir ?? join(mkdtempSync(join(tmpdir(), 'fapo-demo-')), 'multi-hop-qa'));
  console.log(`fapo demo: optimizing the example multi-hop QA task in ${dir}
The task model is \`sim:qa\`, a deterministic offline stand-in (a toy reader of this synthetic corpus), not an LLM:
its scores show the optimizer's machinery at work, nothing about real models. docs/demo.md explains its behaviours.
Proposer: the model-free rule-based proposer. Reviewer: deterministic checks (no reviewer model offline).
`);
  const outcome = await runOptimize(dir, DEMO_CONFIG);
  printOutcome(outcome);
  const reportDir = await saveReport(dir, outcome);
  console.log(`\nreport: ${reportDir}/report.html (also report.md, changelog.md)`);
  console.log(`\nworkspace and store: ${dir}`);
  return 0;
}
