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

describe('fapo eval: the per-case timeout is a setting', () => {
  /** The example chain with a 3-second wait before its flow. */
  function slowChain(dir: string): void {
    const chain = readFileSync(join(dir, 'chain.ts'), 'utf8');
    writeFileSync(
      join(dir, 'chain.ts'),
      chain.replace(
        'flow: async ({ input, params, run }) => {',
        'flow: async ({ input, params, run }) => {\n    await new Promise((r) => setTimeout(r, 3000));',
      ),
    );
  }
  const errors = (stdout: string) =>
    readFileSync(join(JSON.parse(stdout).artifacts, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; error?: string });

  it('--case-timeout <s> and fapo.task.yaml sandbox.caseTimeoutSeconds end slow cases as timeouts', async () => {
    const dir = exampleWorkspace();
    slowChain(dir);
    const flag = await runCli(['eval', dir, '--split', 'val', '--limit', '2', '--json', '--case-timeout', '0.5']);
    assert.equal(flag.code, 1, 'no case was scored');
    assert.match(flag.stderr, /no case was scored/);
    for (const r of errors(flag.stdout)) assert.match(r.error ?? '', /case exceeded its 500 ms timeout/);

    const other = exampleWorkspace();
    slowChain(other);
    writeFileSync(
      join(other, 'fapo.task.yaml'),
      `${readFileSync(join(other, 'fapo.task.yaml'), 'utf8')}sandbox:\n  caseTimeoutSeconds: 0.7\n`,
    );
    const manifest = await runCli(['eval', other, '--split', 'val', '--limit', '2', '--json']);
    assert.equal(manifest.code, 1, 'no case was scored');
    for (const r of errors(manifest.stdout)) assert.match(r.error ?? '', /case exceeded its 700 ms timeout/);

    const bad = await runCli(['eval', dir, '--split', 'val', '--case-timeout', 'soon']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--case-timeout must be a positive number of seconds, got "soon"/);
  });
});

describe('fapo eval: output caps from fapo.task.yaml', () => {
  it('an output over sandbox.maxOutputBytes ends its case as a task error naming the cap', async () => {
    const dir = exampleWorkspace();
    const chain = readFileSync(join(dir, 'chain.ts'), 'utf8');
    writeFileSync(
      join(dir, 'chain.ts'),
      chain
        .replace(
          "import { defineChain, llm, retrieve } from 'fapo';",
          "import { code, defineChain, llm, retrieve } from 'fapo';",
        )
        .replace("llm('answer'),", "llm('answer'),\n    code('big', () => 'x'.repeat(5000)),")
        .replace("return run('answer', { summary });", "await run('answer', { summary });\n    return run('big');")
        .replace("output: 'answer',", "output: 'big',"),
    );
    writeFileSync(
      join(dir, 'fapo.task.yaml'),
      `${readFileSync(join(dir, 'fapo.task.yaml'), 'utf8')}sandbox:\n  maxOutputBytes: 1000\n`,
    );
    const r = await runCli(['eval', dir, '--split', 'val', '--limit', '2', '--json']);
    assert.equal(r.code, 1, 'no case was scored');
    const results = readFileSync(join(JSON.parse(r.stdout).artifacts, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n');
    for (const line of results) {
      const result = JSON.parse(line) as { status: string; error?: string };
      assert.equal(result.status, 'task_error');
      assert.match(
        result.error ?? '',
        /output \(with its tool state\) is \d+ bytes, over the cap of 1000 \(sandbox\.maxOutputBytes in fapo\.task\.yaml\)/,
      );
    }
  });
});
