/** Unified diffs between a parent variant and a proposal, for the reviewer model and for reports. */
import canonicalize from 'canonicalize';
import { createTwoFilesPatch } from 'diff';
import type { Variant } from '../../eval/types.ts';
import { changedParamKeys, changedPromptNames } from './param-changes.ts';

export type DiffableVariant = Pick<Variant, 'chainPath' | 'chainSource' | 'prompts' | 'params'>;

export interface VariantDiff {
  /** One patch per added, removed or changed template. */
  prompts: { name: string; patch: string }[];
  params: { keys: string[]; patch: string } | null;
  chain: { patch: string } | null;
}

/** Pretty JSON with sorted keys, so a params diff shows only real changes. */
function stableJson(value: Record<string, unknown>): string {
  return `${JSON.stringify(JSON.parse(canonicalize(value) ?? '{}'), null, 2)}\n`;
}

const patch = (oldName: string, newName: string, before: string, after: string): string =>
  createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, { context: 3 });

export function diffVariant(parent: DiffableVariant, proposal: DiffableVariant): VariantDiff {
  const prompts = changedPromptNames(parent.prompts, proposal.prompts).map((name) => {
    const before = parent.prompts[name];
    const after = proposal.prompts[name];
    return {
      name,
      patch: patch(
        before === undefined ? '/dev/null' : `a/prompts/${name}`,
        after === undefined ? '/dev/null' : `b/prompts/${name}`,
        before ?? '',
        after ?? '',
      ),
    };
  });
  const keys = changedParamKeys(parent.params, proposal.params);
  const params =
    keys.length === 0
      ? null
      : {
          keys,
          patch: patch('a/params.json', 'b/params.json', stableJson(parent.params), stableJson(proposal.params)),
        };
  const chain =
    parent.chainSource === proposal.chainSource
      ? null
      : { patch: patch(`a/${parent.chainPath}`, `b/${proposal.chainPath}`, parent.chainSource, proposal.chainSource) };
  return { prompts, params, chain };
}

export function renderDiff(diff: VariantDiff): string {
  const parts = [...diff.prompts.map((p) => p.patch), diff.params?.patch, diff.chain?.patch].filter(
    (p): p is string => !!p,
  );
  return parts.length === 0 ? '(no changes)' : parts.join('\n');
}
