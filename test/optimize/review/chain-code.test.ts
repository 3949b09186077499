import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChain } from '../../../src/optimize/review/chain-ast.ts';
import { checkChainCode, type ChainCodeOptions } from '../../../src/optimize/review/chain-code.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { chainWith, FAPO_STUB, MULTIHOP_CHAIN, promptProposal, structureProposal } from './fixtures.ts';

const review = (source: string, options: ChainCodeOptions = {}) => {
  const p: Proposal = structureProposal({ chainSource: source });
  return checkChainCode(p, parseChain(p.chainSource, p.chainPath, p.params), { fapoTypesPath: FAPO_STUB, ...options });
};
/** The static checks need no typecheck; skipping it keeps this file fast. */
const blocked = (source: string, pattern: RegExp) => {
  const r = review(source, { typecheck: false });
  assert.equal(r.verdict, 'block');
  assert.ok(
    r.reasons.some((x) => pattern.test(x)),
    r.reasons.join(' | '),
  );
};
/** Puts a statement at the top of the dedupe code step's body. */
const inStep = (stmt: string) =>
  chainWith('const out = ctx.steps.search.output;', `${stmt}\n        const out = ctx.steps.search.output;`);

test('a clean structural chain passes, including a real typecheck', () => {
  const r = review(MULTIHOP_CHAIN);
  assert.equal(r.verdict, 'pass', r.reasons.join(' | '));
  assert.ok(r.reasons.includes('typechecks against the fapo types'));
});

test('an unchanged chain is not re-reviewed', () => {
  const p = promptProposal();
  const r = checkChainCode(p, parseChain(p.chainSource, p.chainPath, p.params), { fapoTypesPath: FAPO_STUB });
  assert.equal(r.verdict, 'pass');
  assert.deepEqual(r.reasons, ['chain source unchanged from the parent']);
});

test('importing node:fs (or anything outside the allowlist) is blocked', () => {
  blocked(
    `import { readFileSync } from 'node:fs';\n${MULTIHOP_CHAIN}`,
    /line 1: imports 'node:fs' \(a Node built-in\)/,
  );
  blocked(`import cp from 'child_process';\n${MULTIHOP_CHAIN}`, /imports 'child_process' \(a Node built-in\)/);
  blocked(`export * from 'lodash';\n${MULTIHOP_CHAIN}`, /imports 'lodash'/);
  // The allowlist is configurable.
  const allowed = review(`import type { StepContext } from 'fapo/extra';\n${MULTIHOP_CHAIN}`, {
    importAllowlist: ['fapo', 'fapo/extra'],
    typecheck: false,
  });
  assert.ok(!allowed.reasons.some((r) => /imports 'fapo\/extra'/.test(r)), allowed.reasons.join(' | '));
});

test('eval is blocked', () => blocked(inStep("eval('1 + 1');"), /'eval' is forbidden/));

test('new Function and Function(...) are blocked', () => {
  blocked(inStep("const f = new Function('return 1'); f();"), /'Function' is forbidden/);
  blocked(inStep("(Function('return this'))();"), /'Function' is forbidden/);
});

test('globalThis.process is blocked', () =>
  blocked(inStep('const env = globalThis.process; void env;'), /'globalThis' is forbidden/));

test('constructor.constructor access is blocked, with dots or brackets', () => {
  blocked(inStep("const F = ctx.constructor.constructor('return process')(); void F;"), /'\.constructor'/);
  blocked(inStep("const F = (ctx as any)['constructor']['constructor']; void F;"), /string 'constructor'/);
  blocked(inStep('const { constructor: C } = ctx; void C;'), /destructuring a forbidden property/);
  blocked(inStep("const F = (ctx as any)['constr' + 'uctor']; void F;"), /property names built from strings/);
  blocked(inStep('const F = (ctx as any)[`constr${"uctor"}`]; void F;'), /property names built from strings/);
  blocked(inStep('(Object as any).prototype.polluted = 1;'), /'\.prototype'/);
  // AsyncFunction reached through property descriptors, without ever writing "constructor".
  blocked(
    inStep('const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(async () => {})); void d;'),
    /'\.getOwnPropertyDescriptors'/,
  );
});

/** Computed keys that spell 'constructor' without writing it (issue 18). */
const COMPUTED_BYPASSES = [
  "(ctx as any)[['con', 'structor'].join('')]",
  '(ctx as any)[String.fromCharCode(99, 111, 110, 115, 116, 114, 117, 99, 116, 111, 114)]',
  `(ctx as any)[JSON.parse('"constructor"')]`,
];

test('computed keys built at run time are blocked, with or without the typecheck', () => {
  for (const key of COMPUTED_BYPASSES) {
    blocked(inStep(`const F = ${key}; void F;`), /computed property key .* could name any property/);
    const typed = review(inStep(`const F = ${key}; void F;`));
    assert.equal(typed.verdict, 'block', key);
    assert.ok(
      typed.reasons.some((r) => /computed property key .*\(type (string|any)\) could name any property/.test(r)),
      typed.reasons.join(' | '),
    );
  }
  // Through a variable, too: the key's type is string.
  const viaVariable = review(inStep("const k = ['con', 'structor'].join(''); const F = (ctx as any)[k]; void F;"));
  assert.ok(viaVariable.reasons.some((r) => /computed property key `k` \(type string\)/.test(r)));
});

test('typed numeric and literal-union keys pass the computed-key check', () => {
  const r = review(
    inStep(
      "const xs = [1, 2]; const i: number = 1; const pick: 'a' | 'b' = 'a'; const o = { a: 1, b: 2 }; void xs[i]; void o[pick];",
    ),
  );
  assert.ok(!r.reasons.some((x) => /computed property key/.test(x)), r.reasons.join(' | '));
});

test('dynamic import() and require are blocked', () => {
  blocked(inStep("void import('node:fs');"), /dynamic import\(\)/);
  blocked(inStep("const fs = require('fs'); void fs;"), /'require' is forbidden/);
});

test('network, timers, Atomics.wait and import-time side effects are blocked', () => {
  blocked(inStep("void fetch('http://example.com');"), /'fetch' is forbidden \(network access\)/);
  blocked(inStep('setInterval(() => {}, 1);'), /'setInterval' is forbidden/);
  blocked(inStep('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);'), /'Atomics' is forbidden/);
  blocked(`${MULTIHOP_CHAIN}\nconsole.log('loaded');\n`, /top-level statement runs at import time/);
  blocked(`// @ts-nocheck\n${MULTIHOP_CHAIN}`, /@ts-nocheck would hide type errors/);
});

test('case-specific conditionals are blocked', () => {
  blocked(
    chainWith(
      "await ctx.run('dedupe');",
      "if (ctx.input.claim === 'Marie Curie won two Nobel Prizes') return 'SUPPORTED';\n    await ctx.run('dedupe');",
    ),
    /compares case input with a literal/,
  );
  blocked(
    inStep(
      "const { id } = ctx.input;\n        if (id === someId()) return 'x';\n        function someId() { return 'c1'; }",
    ),
    /compares a case id/,
  );
  blocked(
    inStep(
      "const q = String(ctx.input.question).toLowerCase();\n        switch (q) { case 'who wrote it?': return 'Verdi'; }",
    ),
    /switch on case input/,
  );
  blocked(inStep("if (['q17', 'q42'].includes(ctx.input.qid as string)) return 'SUPPORTED';"), /hard-coded list/);
  blocked(
    inStep(
      "const table: Record<string, string> = { q1: 'a' }; void table;\n        const hit = ({ q1: 'Verdi' } as Record<string, string>)[ctx.input.qid as string]; void hit;",
    ),
    /hard-coded answer lookup/,
  );
});

test('structural checks on input (lengths) are not case-specific', () => {
  const r = review(inStep('const n = (ctx.input.passages as unknown[]).length;\n        if (n > 3) return [];'));
  assert.equal(r.verdict, 'pass', r.reasons.join(' | '));
  const untyped = review(MULTIHOP_CHAIN, { typecheck: false });
  assert.equal(untyped.verdict, 'warn');
  assert.deepEqual(untyped.reasons, ['typecheck skipped: switched off']);
});

test('a type error in chain code is blocked with its line number', () => {
  const r = review(chainWith("k: '${params.k}'", 'k: { top: 5 }'));
  assert.equal(r.verdict, 'block');
  assert.ok(
    r.reasons.some((x) => /type error: chains\/variants\/v3-multihop\.ts:\d+:\d+ TS2322/.test(x)),
    r.reasons.join(' | '),
  );
  const r2 = review(inStep('const n: number = ctx.input;'));
  const line =
    inStep('const n: number = ctx.input;')
      .split('\n')
      .findIndex((l) => l.includes('const n: number')) + 1;
  assert.ok(
    r2.reasons.some((x) => x.includes(`v3-multihop.ts:${line}:`)),
    r2.reasons.join(' | '),
  );
});

test('a missing fapo types module degrades to a warn, never a silent pass', () => {
  const p = structureProposal();
  const r = checkChainCode(p, parseChain(p.chainSource, p.chainPath, p.params), {
    fapoTypesPath: '/nonexistent/fapo.d.ts',
  });
  assert.equal(r.verdict, 'warn');
  assert.match(r.reasons.join(), /typecheck skipped: fapo types not found/);
});
