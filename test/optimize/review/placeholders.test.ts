import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChain } from '../../../src/optimize/review/chain-ast.ts';
import { checkPlaceholders } from '../../../src/optimize/review/placeholders.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { ANSWER_PROMPT, chainWith, promptProposal, structureProposal } from './fixtures.ts';

const check = (p: Proposal) => checkPlaceholders(p, parseChain(p.chainSource, p.chainPath, p.params));
const blocked = (p: Proposal, pattern: RegExp) => {
  const r = check(p);
  assert.equal(r.verdict, 'block');
  assert.ok(
    r.reasons.some((x) => pattern.test(x)),
    r.reasons.join(' | '),
  );
};

test('clean proposals keep their placeholders', () => {
  assert.equal(check(promptProposal()).verdict, 'pass');
  assert.equal(check(structureProposal()).verdict, 'pass', check(structureProposal()).reasons.join(' | '));
});

test('adding, removing or renaming a placeholder is blocked', () => {
  blocked(
    promptProposal({ prompts: { answer: `${ANSWER_PROMPT}\nContext: \${input.context}` } }),
    /\$\{input.context\} added/,
  );
  blocked(
    promptProposal({ prompts: { answer: ANSWER_PROMPT.replace('${steps.search.output}', '(passages omitted)') } }),
    /\$\{steps.search.output\} removed/,
  );
  blocked(
    promptProposal({ prompts: { answer: ANSWER_PROMPT.replace('${input.claim}', '${input.statement}') } }),
    /\$\{input.claim\} renamed to \$\{input.statement\}/,
  );
});

test('whitespace inside braces is not a rename', () => {
  assert.equal(
    check(promptProposal({ prompts: { answer: ANSWER_PROMPT.replace('${input.claim}', '${ input.claim }') } })).verdict,
    'pass',
  );
});

test('a placeholder referencing a step the chain does not declare is blocked', () => {
  const p = structureProposal({
    prompts: {
      answer: ANSWER_PROMPT.replace('${steps.search.output}', '${steps.search.output}\n${steps.critique.output}'),
      rewrite: 'q ${input.claim}',
    },
  });
  blocked(p, /references step 'critique', which the chain does not declare/);
  const badQuery = structureProposal({
    chainSource: chainWith('${steps.rewrite.output.query}', '${steps.rewriter.output.query}'),
  });
  blocked(badQuery, /retrieve 'search' query: .*step 'rewriter'/);
});

test('unknown roots are blocked and unset params warn', () => {
  blocked(
    promptProposal({ prompts: { answer: ANSWER_PROMPT.replace('${input.claim}', '${expected}') } }),
    /unknown root 'expected'/,
  );
  const r = check(
    structureProposal({
      prompts: { answer: ANSWER_PROMPT, rewrite: 'Hop ${vars.hop} of ${params.maxHops}: ${input.claim}' },
    }),
  );
  assert.ok(
    r.reasons.some((x) => /param 'maxHops', which is not set/.test(x)),
    r.reasons.join(' | '),
  );
});

test('only structure-level proposals add or drop templates, and every llm step needs one', () => {
  blocked(
    promptProposal({ prompts: { answer: ANSWER_PROMPT, critique: 'Check ${input.claim}' } }),
    /prompt 'critique' is new/,
  );
  blocked(promptProposal({ prompts: {} }), /prompt 'answer' was removed/);
  blocked(
    structureProposal({ prompts: { answer: ANSWER_PROMPT } }),
    /llm step 'rewrite' .* uses template 'rewrite', which the proposal does not provide/,
  );
});
