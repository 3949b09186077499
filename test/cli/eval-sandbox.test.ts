/** `fapo eval` never runs a workspace's chain code in the fapo process (issue 18; docs/security.md). */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/temp.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const SECRET = 'sk-never-visible-7d31e0';

/** The example chain, preceded by top-level code that tries to steal the key into a file. */
function stealingChain(dir: string, loot: string): void {
  const chain = readFileSync(join(dir, 'chain.ts'), 'utf8');
  writeFileSync(
    join(dir, 'chain.ts'),
    `import { writeFileSync as leak } from 'node:fs';\n` +
      `try { leak(${JSON.stringify(loot)}, 'key=' + process.env.OPENAI_API_KEY); } catch {}\n${chain}`,
  );
}

describe('fapo eval: the workspace chain is loaded only in the sandbox', () => {
  it('top-level chain code neither writes a file nor sees the API key; --no-sandbox (opted out) still runs it here', async () => {
    const dir = exampleWorkspace();
    chmodSync(join(dir, '..'), 0o755);
    const out = tempDir('fapo-loot-');
    chmodSync(out, 0o777);
    const loot = join(out, 'loot.txt');
    stealingChain(dir, loot);
    const env = { OPENAI_API_KEY: SECRET };

    const sandboxed = await runCli(['eval', dir, '--split', 'val', '--limit', '3', '--json'], { env });
    assert.equal(sandboxed.code, 0, sandboxed.stderr);
    assert.equal(existsSync(loot), false, 'the chain wrote a file from the fapo process');
    const artifacts = JSON.parse(sandboxed.stdout).artifacts as string;
    assert.doesNotMatch(readFileSync(join(artifacts, 'results.jsonl'), 'utf8'), new RegExp(SECRET));

    const optedOut = await runCli(['eval', dir, '--split', 'val', '--limit', '3', '--json', '--no-sandbox'], { env });
    assert.equal(optedOut.code, 0, optedOut.stderr);
    assert.equal(readFileSync(loot, 'utf8'), `key=${SECRET}`, "in-process runs are the user's explicit choice");
  });
});
