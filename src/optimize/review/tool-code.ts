/**
 * The tool-code check: workspace tools (tools/<name>.ts, docs/agent-steps.md) that a proposal adds or
 * changes pass the same AST allowlist as chain code, plus the tool module shape. Case-specific
 * conditionals are not checked here: a tool compares its arguments with literals by design (an
 * order status, a reason code); the cases reach it only through the model's arguments.
 */
import ts from 'typescript';
import { findUncheckableKeys, findUnsafeCode, moduleShapeFindings } from './chain-safety.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

/** Tools validate their input with zod, so they may import it besides fapo. */
export const TOOL_IMPORT_ALLOWLIST: readonly string[] = ['fapo', 'zod'];

const TOOL_PATH = /^tools\/[\w-]+\.ts$/;

export function checkToolCode(
  proposal: Proposal,
  importAllowlist: readonly string[] = TOOL_IMPORT_ALLOWLIST,
): CheckResult | null {
  const sources = Object.entries(proposal.toolSources ?? {});
  if (sources.length === 0) return null;
  const block: string[] = [];
  if (proposal.level !== 'structure') block.push(`a ${proposal.level}-level proposal must not change tool code`);
  for (const [path, source] of sources) {
    if (!TOOL_PATH.test(path)) {
      block.push(`${path}: workspace tools live in tools/<name>.ts`);
      continue;
    }
    // Like a changed chain, a tool is a new file the scope check vets against the allowed globs.
    if (!proposal.files.includes(path)) block.push(`${path}: the tool module is not listed in files`);
    const sf = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const findings = [
      ...findUnsafeCode(sf, { importAllowlist }).map((f) => f.replace('chains may import', 'tools may import')),
      ...moduleShapeFindings(sf, 'defineTool'),
      ...findUncheckableKeys(sf, { strict: false }),
    ];
    block.push(...findings.map((f) => `${path}: ${f}`));
  }
  return checkResult('tool-code', {
    block,
    info: block.length === 0 ? [`${sources.length} tool module(s) pass the code allowlist`] : [],
  });
}
