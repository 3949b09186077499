import { cpSync, existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FapoError } from '../../util/errors.ts';

export const EXAMPLE_TASK_DIR = fileURLToPath(new URL('../../../examples/two-hop-qa', import.meta.url));

/** Copies the bundled example task (without any store) into `target`. */
export function copyExampleTask(target: string): string {
  const dir = resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new FapoError(`${dir} is not empty`, 'Choose a new folder for the task workspace.');
  cpSync(EXAMPLE_TASK_DIR, dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.fapo') });
  return dir;
}

export function initCommand(target: string): number {
  const dir = copyExampleTask(target);
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
