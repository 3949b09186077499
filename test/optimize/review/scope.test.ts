import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkScope } from '../../../src/optimize/review/scope.ts';
import {
  EXISTING_FILES,
  MULTIHOP_CHAIN,
  paramProposal,
  playbook,
  promptProposal,
  structureProposal,
} from './fixtures.ts';

const blocked = (r: { verdict: string; reasons: string[] }, pattern: RegExp) => {
  assert.equal(r.verdict, 'block');
  assert.ok(
    r.reasons.some((x) => pattern.test(x)),
    `no reason matches ${pattern}: ${r.reasons.join(' | ')}`,
  );
};

test('clean proposals at every level pass scope', () => {
  for (const p of [promptProposal(), paramProposal(), structureProposal()]) {
    const r = checkScope(p, playbook(), EXISTING_FILES);
    assert.equal(r.verdict, 'pass', `${p.level}: ${r.reasons.join(' | ')}`);
  }
});

test('a level the playbook forbids is blocked', () => {
  blocked(
    checkScope(structureProposal(), playbook({ levels: ['prompt'] }), EXISTING_FILES),
    /level 'structure' is not allowed/,
  );
});

test('writing outside the allowed globs is blocked, including path tricks', () => {
  blocked(
    checkScope(promptProposal({ files: ['scorer.ts'] }), playbook(), EXISTING_FILES),
    /'scorer.ts' matches no allowed glob/,
  );
  blocked(
    checkScope(promptProposal({ files: ['prompts/variants/../../data/val.jsonl'] }), playbook(), EXISTING_FILES),
    /matches no allowed glob/,
  );
  blocked(
    checkScope(promptProposal({ files: ['../other-task/prompts/variants/a.md'] }), playbook(), EXISTING_FILES),
    /outside the workspace/,
  );
  blocked(checkScope(promptProposal({ files: ['/etc/passwd'] }), playbook(), EXISTING_FILES), /absolute/);
});

test('overwriting an existing baseline or variant file is blocked', () => {
  blocked(
    checkScope(promptProposal({ files: ['prompts/variants/v2/answer.md'] }), playbook(), EXISTING_FILES),
    /already exists/,
  );
  blocked(
    checkScope(promptProposal({ files: ['./prompts/variants/v2/answer.md'] }), playbook(), EXISTING_FILES),
    /already exists/,
  );
});

test('changing a frozen parameter (temperature via params) is blocked at every level', () => {
  blocked(
    checkScope(paramProposal({ params: { k: 7, temperature: 0 } }), playbook(), EXISTING_FILES),
    /frozen setting\(s\) temperature/,
  );
  blocked(
    checkScope(structureProposal({ params: { k: 7, model: 'openai:gpt-5' } }), playbook(), EXISTING_FILES),
    /frozen setting\(s\) model/,
  );
  blocked(
    checkScope(paramProposal({ params: { k: 7, sampling: { temperature: 0 } } }), playbook(), EXISTING_FILES),
    /frozen setting\(s\) sampling/,
  );
  // Freed by the playbook, the same change passes.
  assert.equal(
    checkScope(paramProposal({ params: { k: 7, temperature: 0 } }), playbook({ frozen: ['model'] }), EXISTING_FILES)
      .verdict,
    'pass',
  );
});

test('a param-level proposal may only touch tunable params and never prompts or the chain', () => {
  blocked(
    checkScope(paramProposal({ params: { k: 7, maxHops: 4 } }), playbook({ tunableParams: ['k'] }), EXISTING_FILES),
    /maxHops are not tunable/,
  );
  blocked(
    checkScope(
      paramProposal({ prompts: { answer: 'changed ${input.claim} ${steps.search.output}' } }),
      playbook(),
      EXISTING_FILES,
    ),
    /must not change prompts/,
  );
  blocked(
    checkScope(
      paramProposal({
        chainSource: MULTIHOP_CHAIN,
        chainPath: 'chains/variants/x.ts',
        files: ['chains/variants/x.ts'],
      }),
      playbook(),
      EXISTING_FILES,
    ),
    /param-level proposal must not change the chain source/,
  );
});

test('a prompt-level proposal must not change params or the chain', () => {
  blocked(
    checkScope(promptProposal({ params: { k: 20 } }), playbook(), EXISTING_FILES),
    /prompt-level proposal must not change params/,
  );
  blocked(
    checkScope(promptProposal({ chainSource: MULTIHOP_CHAIN }), playbook(), EXISTING_FILES),
    /prompt-level proposal must not change the chain source/,
  );
});

test('a structural change must be cloned to a new, listed chain file', () => {
  blocked(
    checkScope(structureProposal({ chainPath: 'chain.ts', files: ['chain.ts'] }), playbook(), EXISTING_FILES),
    /cloned to a new file/,
  );
  blocked(
    checkScope(structureProposal({ files: ['prompts/variants/v3/rewrite.md'] }), playbook(), EXISTING_FILES),
    /not listed in files/,
  );
});
