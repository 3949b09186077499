/** Check 12, scope compliance: the level, the files written and what each level may change. */
import path from 'node:path';
import { minimatch } from 'minimatch';
import type { Playbook } from '../../task/schema.ts';
import { changedParamKeys, changedPromptNames } from './param-changes.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

export type ScopePlaybook = Pick<Playbook, 'levels' | 'allowedFiles' | 'frozen' | 'tunableParams'>;

/** Normalised workspace-relative path, or the reason it is not one. */
function workspacePath(file: string): { path: string } | { error: string } {
  if (file.includes('\\')) return { error: `'${file}' uses backslashes; use workspace-relative POSIX paths` };
  if (path.posix.isAbsolute(file))
    return { error: `'${file}' is absolute; only workspace-relative paths may be written` };
  const normal = path.posix.normalize(file);
  if (normal === '..' || normal.startsWith('../') || normal === '.')
    return { error: `'${file}' is outside the workspace` };
  return { path: normal };
}

function fileFindings(proposal: Proposal, playbook: ScopePlaybook, existingFiles: ReadonlySet<string>): string[] {
  const block: string[] = [];
  const existing = new Set([...existingFiles].map((f) => path.posix.normalize(f)));
  const seen = new Set<string>();
  for (const file of proposal.files) {
    const p = workspacePath(file);
    if ('error' in p) {
      block.push(p.error);
      continue;
    }
    if (seen.has(p.path)) block.push(`'${file}' is listed twice`);
    seen.add(p.path);
    if (!playbook.allowedFiles.some((glob) => minimatch(p.path, glob))) {
      block.push(`'${file}' matches no allowed glob (${playbook.allowedFiles.join(', ')})`);
    }
    if (existing.has(p.path)) block.push(`'${file}' already exists; variants are immutable, write a new file`);
  }
  return block;
}

function chainFindings(proposal: Proposal): string[] {
  const { parent } = proposal;
  const chainChanged = proposal.chainSource !== parent.chainSource;
  if (!chainChanged) {
    return proposal.chainPath === parent.chainPath
      ? []
      : [`chainPath changed to '${proposal.chainPath}' but the chain source did not`];
  }
  const block: string[] = [];
  if (proposal.level !== 'structure') block.push(`a ${proposal.level}-level proposal must not change the chain source`);
  if (proposal.chainPath === parent.chainPath)
    block.push(`the changed chain must be cloned to a new file, not written over '${parent.chainPath}'`);
  const chainPath = workspacePath(proposal.chainPath);
  if ('path' in chainPath && !proposal.files.map((f) => path.posix.normalize(f)).includes(chainPath.path)) {
    block.push(`the new chain '${proposal.chainPath}' is not listed in files`);
  }
  return block;
}

/** Whether a nested value sets a frozen key, e.g. `{ sampling: { temperature: 0 } }`. */
function containsKey(value: unknown, keys: readonly string[]): boolean {
  if (Array.isArray(value)) return value.some((v) => containsKey(v, keys));
  if (!value || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => keys.includes(k) || containsKey(v, keys));
}

function paramFindings(proposal: Proposal, playbook: ScopePlaybook): string[] {
  const changed = changedParamKeys(proposal.parent.params, proposal.params);
  const block: string[] = [];
  const frozen = changed.filter((k) => playbook.frozen.includes(k) || containsKey(proposal.params[k], playbook.frozen));
  if (frozen.length > 0)
    block.push(`changes frozen setting(s) ${frozen.join(', ')}; the playbook freezes ${playbook.frozen.join(', ')}`);
  if (proposal.level === 'prompt' && changed.length > 0)
    block.push(`a prompt-level proposal must not change params (changed: ${changed.join(', ')})`);
  if (proposal.level === 'param' && playbook.tunableParams.length > 0) {
    const untunable = changed.filter((k) => !playbook.tunableParams.includes(k) && !frozen.includes(k));
    if (untunable.length > 0)
      block.push(`param(s) ${untunable.join(', ')} are not tunable; tunable: ${playbook.tunableParams.join(', ')}`);
  }
  return block;
}

export function checkScope(
  proposal: Proposal,
  playbook: ScopePlaybook,
  existingFiles: ReadonlySet<string>,
): CheckResult {
  const block: string[] = [];
  if (!playbook.levels.includes(proposal.level)) {
    block.push(`level '${proposal.level}' is not allowed by the playbook (allowed: ${playbook.levels.join(', ')})`);
  }
  block.push(
    ...fileFindings(proposal, playbook, existingFiles),
    ...chainFindings(proposal),
    ...paramFindings(proposal, playbook),
  );
  if (proposal.level === 'param') {
    const prompts = changedPromptNames(proposal.parent.prompts, proposal.prompts);
    if (prompts.length > 0)
      block.push(`a param-level proposal must not change prompts (changed: ${prompts.join(', ')})`);
  }
  return checkResult('scope', { block });
}
