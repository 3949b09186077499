import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModelsConfig, rateLimitsResolver } from '../../src/models/models-config.ts';
import { FapoError } from '../../src/util/errors.ts';
import { tempDir } from '../fixtures/temp.ts';

const dir = tempDir('fapo-models-config-');
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('models config (fapo.models.yaml)', () => {
  it('reads per-model limits, and the flags win for the task model only', () => {
    const config = loadModelsConfig(
      file(
        'ok.yaml',
        'models:\n  openai:gpt-4.1-mini: { rpm: 500, tpm: 200000 }\n  anthropic:claude-haiku-4-5: { rpm: 50 }\n',
      ),
    );
    const limits = rateLimitsResolver(config, { rpm: 100, taskModel: 'openai:gpt-4.1-mini' });
    assert.deepEqual(limits('openai:gpt-4.1-mini'), { rpm: 100, tpm: 200000 });
    assert.deepEqual(limits('anthropic:claude-haiku-4-5'), { rpm: 50 });
    assert.equal(limits('openai:gpt-5'), undefined);
  });

  it('names the file and the key of a bad entry', () => {
    const path = file('bad.yaml', 'models:\n  openai:gpt-4.1-mini: { rpm: -5 }\n');
    assert.throws(
      () => loadModelsConfig(path),
      (err: unknown) =>
        err instanceof FapoError &&
        err.message.includes(path) &&
        err.message.includes('models.openai:gpt-4.1-mini.rpm') &&
        /requests and tokens per minute/.test(err.hint ?? ''),
    );
    const typo = file('typo.yaml', 'models:\n  openai:gpt-4.1-mini: { rpms: 5 }\n');
    assert.throws(() => loadModelsConfig(typo), /rpms/);
  });

  it('treats a missing optional file as empty, and a missing --models-config file as an error', () => {
    assert.deepEqual(loadModelsConfig(join(dir, 'none.yaml'), { required: false }), { models: {} });
    assert.throws(() => loadModelsConfig(join(dir, 'none.yaml')), /models config .*none\.yaml: not found/);
  });
});
