// The local provider's tests need node-llama-cpp, which fapo does not install for its users (677 MB of
// native builds; users opt in, see docs/models.md). The test command installs it, without touching
// package.json or the lockfile, so `npm ci && npm test` on a fresh machine still runs every test.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const NODE_LLAMA_CPP = 'node-llama-cpp@3.21.1';

const require = createRequire(import.meta.url);
let installed = true;
try {
  require.resolve('node-llama-cpp/package.json');
} catch {
  installed = false;
}
if (!installed) {
  console.log(`installing ${NODE_LLAMA_CPP} for the local provider's tests (not saved to package.json)`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', NODE_LLAMA_CPP], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`could not install ${NODE_LLAMA_CPP}; the local provider's tests need it`);
    process.exit(r.status ?? 1);
  }
}
