import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { moduleFingerprint } from '../../src/task/fingerprint.ts';
import { tempDir } from '../fixtures/temp.ts';

function scorerIn(dir: string, scorer: string, helper = 'export const weight = 1;\n'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'helper.ts'), helper);
  writeFileSync(join(dir, 'scorer.ts'), scorer);
  return join(dir, 'scorer.ts');
}

const SCORER =
  "import { defineScorer } from 'fapo';\nimport { outputField } from 'fapo/bench';\nimport { weight } from './helper.ts';\nexport default defineScorer(({ case: c, output }) => weight * Number(outputField(output, 'answer') === String(c.expected)));\n";

it('a module fingerprint follows its code and its imports, not its location or comments', async () => {
  const root = tempDir('fapo-fingerprint-');
  const base = await moduleFingerprint(scorerIn(join(root, 'a'), SCORER));
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(await moduleFingerprint(scorerIn(join(root, 'elsewhere', 'b'), SCORER)), base, 'another folder');
  assert.equal(await moduleFingerprint(scorerIn(join(root, 'c'), `// a comment\n${SCORER}`)), base, 'a comment');
  assert.notEqual(
    await moduleFingerprint(scorerIn(join(root, 'd'), SCORER.replace('weight *', '0.5 * weight *'))),
    base,
    'its code',
  );
  assert.notEqual(
    await moduleFingerprint(scorerIn(join(root, 'e'), SCORER, 'export const weight = 0;\n')),
    base,
    'a file it imports',
  );
  await assert.rejects(moduleFingerprint(scorerIn(join(root, 'f'), 'export default {{')), /scorer\.ts:1:\d+: /);
});
