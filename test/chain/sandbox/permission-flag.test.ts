/** The sandbox picks Node's permission flag by version: experimental before 22.13 / 23.5, stable after. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permissionFlag } from '../../../src/chain/sandbox/isolation.ts';

describe('permission flag by Node version', () => {
  it('uses --experimental-permission on Node 20 and early 22 / 23', () => {
    for (const version of ['20.20.2', 'v20.0.0', '22.12.0', '23.4.0'])
      assert.deepEqual(permissionFlag(version), { flag: '--experimental-permission', stable: false }, version);
  });

  it('uses --permission where it is stable', () => {
    for (const version of ['22.13.0', '22.20.1', '23.5.0', '24.0.0', 'v26.1.0'])
      assert.deepEqual(permissionFlag(version), { flag: '--permission', stable: true }, version);
  });

  it('the running Node accepts the flag it is given', async () => {
    const { spawnSync } = await import('node:child_process');
    const { flag } = permissionFlag(process.versions.node);
    const run = spawnSync(process.execPath, [flag, '--disable-warning=ExperimentalWarning', '-e', 'process.exit(0)']);
    assert.equal(run.status, 0, run.stderr.toString());
  });
});
