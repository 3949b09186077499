// Optional packages that fapo does not install for its users, but whose code paths the test suite
// runs for real: node-llama-cpp (the local provider; 677 MB of native builds) and the coding-agent
// proposer backends (@anthropic-ai/claude-agent-sdk, proprietary licence, ~450 MB; @openai/codex-sdk
// with its native CLI). Users opt in (docs/models.md, docs/optimize.md). The test command installs
// them here without touching package.json or the lockfile, so `npm ci && npm test` on a fresh
// machine still runs every test.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const TEST_ONLY_PACKAGES = {
  'node-llama-cpp': '3.21.1',
  '@anthropic-ai/claude-agent-sdk': '0.3.332',
  '@openai/codex-sdk': '0.163.0',
};

const require = createRequire(import.meta.url);
const missing = Object.entries(TEST_ONLY_PACKAGES).filter(([name]) => {
  try {
    require.resolve(`${name}/package.json`);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  // All of them in one install: npm may prune unsaved packages that a later `install --no-save` does not name.
  const specs = Object.entries(TEST_ONLY_PACKAGES).map(([name, version]) => `${name}@${version}`);
  console.log(`installing ${specs.join(', ')} for the tests (not saved to package.json)`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', ...specs], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`could not install ${specs.join(', ')}; the tests need them`);
    process.exit(r.status ?? 1);
  }
}
