import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { workspaceToolFiles } from '../../chain/tools/discover.ts';
import type { ChainStructure } from '../../chain/types.ts';
import type { Environment } from '../../eval/environment.ts';
import type { Store } from '../../eval/store.ts';
import type { CaseResult, Variant } from '../../eval/types.ts';
import { variantHash } from '../../eval/variant.ts';
import type { Case } from '../../task/schema.ts';
import { FapoError } from '../../util/errors.ts';
import type { EvaluationService } from '../evaluator.ts';
import type { Proposal } from '../review/types.ts';
import type { ProposerServices } from './proposer.ts';

/** Files a proposer may read besides prompts/params/chain (which come from the current best variant). */
const READABLE_FIXED = ['fapo.task.yaml', 'playbook.yaml'];

/**
 * Builds the proposer's view of the world: the current best's files, train failures and a quick
 * check on train cases. Validation and test cases are not reachable through any of these.
 */
export async function createProposerServices(opts: {
  env: Environment;
  evaluator: EvaluationService;
  best: Variant;
}): Promise<ProposerServices & { structure: ChainStructure }> {
  const { env, evaluator, best } = opts;
  const task = env.task;
  const structure = await env.executor.describe(best);
  const { results } = await evaluator.train(best);
  const trainById = new Map(task.datasets.train.cases.map((c) => [c.id, c]));
  const resultsByCase = new Map<string, CaseResult[]>();
  for (const r of results) resultsByCase.set(r.caseId, [...(resultsByCase.get(r.caseId) ?? []), r]);

  const virtualFiles = new Map<string, string>([
    [best.chainPath, best.chainSource],
    [task.manifest.params, `${JSON.stringify(best.params, null, 2)}\n`],
    ...Object.entries(best.prompts).map(
      ([name, text]) => [join(task.manifest.prompts, `${name}.md`), text] as [string, string],
    ),
    [task.manifest.scorer, safeRead(join(task.dir, task.manifest.scorer))],
    // Workspace tools: their code and default descriptions (a variant overrides a description in prompts/tools/).
    ...workspaceToolFiles(task.dir).map((f) => [f, safeRead(join(task.dir, f))] as [string, string]),
    ...READABLE_FIXED.map((f) => [f, safeRead(join(task.dir, f))] as [string, string]),
  ]);

  const entry = (c: Case) => ({ case: c, results: resultsByCase.get(c.id) ?? [] });
  return {
    structure,
    readableFiles: () => [...virtualFiles.keys()],
    readFile(path) {
      const key = normalize(path).replace(/^\.\//, '');
      const text = virtualFiles.get(key);
      if (text === undefined)
        throw new FapoError(`"${path}" is not readable: proposers may read ${[...virtualFiles.keys()].join(', ')}`);
      return text;
    },
    trainFailures: () =>
      task.datasets.train.cases
        .filter((c) =>
          (resultsByCase.get(c.id) ?? []).some(
            (r) => r.status === 'task_error' || (r.status === 'ok' && (r.score ?? 0) < 1),
          ),
        )
        .map(entry),
    trainCase: (id) => {
      const c = trainById.get(id);
      return c ? entry(c) : undefined;
    },
    async quickCheck(proposal: Proposal, caseIds: string[]) {
      const ids = caseIds.filter((id) => trainById.has(id)).slice(0, 5);
      if (ids.length === 0) throw new FapoError('quick checks run on train case ids only (at most 5)');
      const content = {
        chainPath: proposal.chainPath,
        chainSource: proposal.chainSource,
        prompts: proposal.prompts,
        params: proposal.params,
      };
      const variant = env.store.putVariant({
        ...content,
        hash: variantHash(content),
        parent: proposal.parent.hash,
        level: proposal.level,
        hypothesis: `quick check: ${proposal.hypothesis}`,
        technique: proposal.technique,
        createdBy: 'quick-check',
      });
      const out = await evaluator.train(variant, ids, 1);
      return out.results.map((r) => ({ caseId: r.caseId, score: r.score, status: r.status }));
    },
  };
}

function safeRead(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** What a proposal changes, as step/template names, `params.<key>` and chain paths. */
export function stepsChanged(
  parent: Pick<Variant, 'prompts' | 'params' | 'chainSource' | 'chainPath'>,
  p: Pick<Variant, 'prompts' | 'params' | 'chainSource' | 'chainPath'>,
): string[] {
  const changed: string[] = [];
  for (const name of new Set([...Object.keys(parent.prompts), ...Object.keys(p.prompts)]))
    if (parent.prompts[name] !== p.prompts[name]) changed.push(name);
  for (const key of new Set([...Object.keys(parent.params), ...Object.keys(p.params)])) {
    if (JSON.stringify(parent.params[key]) !== JSON.stringify(p.params[key])) changed.push(`params.${key}`);
  }
  if (parent.chainSource !== p.chainSource || parent.chainPath !== p.chainPath) changed.push(p.chainPath);
  return changed;
}

/** Every file of the workspace plus every recorded variant's chain path: proposals may only add new files. */
export function workspaceFiles(dir: string, store: Store): Set<string> {
  const files = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.fapo' || e.name === 'node_modules') continue;
      const abs = join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else files.add(relative(dir, abs));
    }
  };
  walk(dir);
  for (const v of store.listVariants()) files.add(v.chainPath);
  return files;
}
