/** The chain-code check for structure-level proposals: safety, case-specific code, module shape, types. */
import { findCaseSpecificConditionals } from './case-conditionals.ts';
import type { ParsedChain } from './chain-ast.ts';
import { findUncheckableKeys, findUnsafeCode, moduleShapeFindings } from './chain-safety.ts';
import { typecheckChain } from './typecheck.ts';
import type { CheckResult, Proposal } from './types.ts';
import { checkResult } from './verdict.ts';

export interface ChainCodeOptions {
  /** Module specifiers a chain may import (default: only `fapo`). */
  importAllowlist?: readonly string[];
  /** The module `fapo` resolves to for the typecheck (default: src/index.ts). */
  fapoTypesPath?: string;
  /** Switch the typecheck off (ablations, fast tests); the check then warns instead of passing. */
  typecheck?: boolean;
}

export function checkChainCode(proposal: Proposal, chain: ParsedChain, options: ChainCodeOptions = {}): CheckResult {
  if (proposal.chainSource === proposal.parent.chainSource) {
    return checkResult('chain-code', { info: ['chain source unchanged from the parent'] });
  }
  const sf = chain.sourceFile;
  const safety = findUnsafeCode(sf, { importAllowlist: options.importAllowlist ?? ['fapo'] });
  const conditionals = findCaseSpecificConditionals(sf);
  const block = [...safety, ...conditionals.block, ...moduleShapeFindings(sf)];
  const warn = [...conditionals.warn];
  const typed =
    options.typecheck === false
      ? { ran: false as const, reason: 'switched off' }
      : typecheckChain(proposal.chainSource, proposal.chainPath, options.fapoTypesPath);
  if (!typed.ran) {
    warn.push(`typecheck skipped: ${typed.reason}`);
    block.push(...findUncheckableKeys(sf, { strict: true }));
  } else {
    block.push(...typed.errors.map((e) => `type error: ${e}`));
    block.push(...findUncheckableKeys(typed.sourceFile, { checker: typed.checker }));
  }
  return checkResult('chain-code', {
    block,
    warn,
    info: typed.ran && typed.errors.length === 0 ? ['typechecks against the fapo types'] : [],
  });
}
