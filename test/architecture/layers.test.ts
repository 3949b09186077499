/**
 * The layers of .dependency-cruiser.cjs hold over src/: no import cycle, no import from a later
 * layer, nothing inside src importing the public entry points. A small fixture tree checks that the
 * rules do catch an upward import and a cycle, so a broken config cannot pass silently.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';

const ROOT = join(import.meta.dirname, '..', '..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs'));

async function violations(cwd: string): Promise<IViolation[]> {
  const previous = process.cwd();
  process.chdir(cwd); // dependency-cruiser matches rule paths against cwd-relative module names
  try {
    const options: ICruiseOptions = { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } };
    const result = await cruise(['src'], options);
    if (typeof result.output === 'string') throw new Error('expected a cruise result object');
    return result.output.summary.violations;
  } finally {
    process.chdir(previous);
  }
}

const describeViolation = (v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ' (cycle)' : ''}`;

describe('architecture', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'fapo-layers-'));
  after(() => rmSync(fixture, { recursive: true, force: true }));

  it('src/ has no cycle and no upward import', async () => {
    const found = await violations(ROOT);
    assert.deepEqual(found.map(describeViolation), []);
  });

  it('the rules catch an upward import and a cycle', async () => {
    for (const dir of ['chain', 'eval', 'models']) mkdirSync(join(fixture, 'src', dir), { recursive: true });
    writeFileSync(join(fixture, 'src/chain/run.ts'), "import { x } from '../eval/types.ts';\nexport const y = x;\n");
    writeFileSync(join(fixture, 'src/eval/types.ts'), 'export const x = 1;\n');
    writeFileSync(join(fixture, 'src/models/a.ts'), "import { b } from './b.ts';\nexport const a = () => b;\n");
    writeFileSync(join(fixture, 'src/models/b.ts'), "import { a } from './a.ts';\nexport const b = () => a;\n");
    writeFileSync(
      join(fixture, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true } }),
    );
    const found = (await violations(fixture)).map(describeViolation);
    assert.ok(found.includes('chain-imports-upward: src/chain/run.ts → src/eval/types.ts'), found.join('\n'));
    assert.ok(
      found.some((v) => v.startsWith('no-circular: src/models/a.ts')),
      found.join('\n'),
    );
  });
});
