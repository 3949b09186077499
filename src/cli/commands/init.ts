import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FapoError } from '../../util/errors.ts';

/** The bundled example workspaces `fapo init --template` copies. */
export const TEMPLATES = {
  qa: fileURLToPath(new URL('../../../examples/two-hop-qa', import.meta.url)),
  agent: fileURLToPath(new URL('../../../examples/support-desk', import.meta.url)),
  feedback: fileURLToPath(new URL('../../../examples/feedback', import.meta.url)),
} as const;
export type Template = keyof typeof TEMPLATES;

/** Copies a bundled example task (without any store) into `target`. */
export function copyExampleTask(target: string, template: Template = 'qa'): string {
  const dir = resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new FapoError(`${dir} is not empty`, 'Choose a new folder for the task workspace.');
  cpSync(TEMPLATES[template], dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.fapo') });
  // The store holds cached answers, runs and sessions: a workspace put under git should not carry it.
  writeFileSync(join(dir, '.gitignore'), '.fapo/\n');
  return dir;
}

export function initCommand(target: string, flags: { template?: string } = {}): number {
  const template = flags.template ?? 'qa';
  if (!(template in TEMPLATES))
    throw new FapoError(`unknown template "${template}"`, `Templates: ${Object.keys(TEMPLATES).join(', ')}.`);
  const dir = copyExampleTask(target, template as Template);
  if (template === 'agent') {
    console.log(`Created a tool-using task workspace in ${dir}:
  fapo.task.yaml   manifest: model, resources (policy search), tools.environment (per-case shop database)
  playbook.yaml    scope contract: levels, allowed files, frozen params, caps (maxSteps)
  chain.ts         one agent step over the shop tools and search:policies
  tools/shop.ts    find_customer, list_orders, get_order, cancel_order (zod inputs, read/write ctx.state)
  env/db.json      the database every case starts from; the scorer reads the final one
  prompts/*.md     the agent's prompt (prompts/tools/<tool>.md may override a tool's description)
  scorer.ts        status questions: the right status; cancellations: the right final database

It runs offline with the \`sim:support\` stand-in (a toy agent, not a real model). Next:
  fapo eval ${target} --split val
  fapo optimize ${target}
Docs: docs/agent-steps.md`);
    return 0;
  }
  if (template === 'feedback') {
    console.log(`Created the feedback walkthrough in ${dir}:
  feedback/        an asset: 24 support traces judged by two reviewers, 86 unlabeled (synthetic)
  task/            a one-step reply writer with no data and no scorer yet

It runs offline with two stand-ins, not real models: \`sim:replies\` writes replies, \`sim:judge\` grades them. Next:
  fapo assets run ${target}/feedback
  fapo assets review ${target}/feedback          (read feedback/review.yaml first; it prints the fingerprint)
  fapo assets review ${target}/feedback --finalize <fingerprint> --into ${target}/task
  fapo eval ${target}/task --split val
  fapo optimize ${target}/task
Docs: docs/assets.md`);
    return 0;
  }
  console.log(`Created a task workspace in ${dir}:
  fapo.task.yaml   manifest: chain, scorer, model, sampling, resources
  playbook.yaml    scope contract: levels, allowed files, frozen params, caps
  chain.ts         the pipeline (retrieve → summarize → query → retrieve → summarize → answer)
  prompts/*.md     one template per llm step
  params.json      parameters (k, hops)
  scorer.ts        exact match, returns a score in [0,1]
  data/*.jsonl     train / val / test cases {id, input, expected, metadata}
  corpus/          the passages the retriever searches

It runs offline with the \`sim:qa\` stand-in model. Next:
  fapo eval ${target} --split val --trials 3
  fapo optimize ${target}
Docs: docs/task-workspace.md`);
  return 0;
}
