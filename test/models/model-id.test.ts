import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createLanguageModel,
  loadPriceTable,
  lookupPrice,
  parseModelId,
  resolveApiKey,
} from '../../src/models/index.ts';
import { FapoError } from '../../src/util/errors.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';
import { tempDir } from '../fixtures/temp.ts';

installSimBehaviours();

const rejectsWith = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof FapoError && pattern.test(`${err.message} ${err.hint}`));

describe('model ids', () => {
  it('parses hosted providers with the key variable NAME and optional base URL from env', () => {
    const spec = parseModelId('openai:gpt-4.1-mini', {
      env: { OPENAI_BASE_URL: 'http://proxy/v1', OPENAI_API_KEY: 'sk-value' },
    });
    assert.deepEqual(spec, {
      id: 'openai:gpt-4.1-mini',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      apiKeyEnv: 'OPENAI_API_KEY',
      apiKeyRequired: true,
      baseURL: 'http://proxy/v1',
    });
    assert.ok(!JSON.stringify(spec).includes('sk-value'));
    assert.equal(parseModelId('anthropic:claude-sonnet-4-5', { env: {} }).apiKeyEnv, 'ANTHROPIC_API_KEY');
  });

  it('takes the openai-compatible base URL inline, from options or from env', () => {
    const inline = parseModelId('openai-compatible:llama3.2@http://127.0.0.1:11434/v1', { env: {} });
    assert.equal(inline.model, 'llama3.2');
    assert.equal(inline.baseURL, 'http://127.0.0.1:11434/v1');
    assert.equal(inline.id, 'openai-compatible:llama3.2');
    assert.equal(
      parseModelId('openai-compatible:m', { openaiCompatibleBaseUrl: 'http://a/v1', env: {} }).baseURL,
      'http://a/v1',
    );
    assert.equal(
      parseModelId('openai-compatible:m', { env: { FAPO_OPENAI_COMPATIBLE_BASE_URL: 'http://b/v1' } }).baseURL,
      'http://b/v1',
    );
    rejectsWith(() => parseModelId('openai-compatible:m', { env: {} }), /FAPO_OPENAI_COMPATIBLE_BASE_URL/);
  });

  it('rejects unknown providers and empty models with a hint', () => {
    rejectsWith(() => parseModelId('gemini:pro'), /provider one of openai, anthropic/);
    rejectsWith(() => parseModelId('gpt-4o'), /provider:model/);
    rejectsWith(() => parseModelId('openai:'), /names no model/);
  });

  it('names the variable to set when a key is missing', () => {
    rejectsWith(() => createLanguageModel('anthropic:claude-haiku-4-5', { env: {} }), /ANTHROPIC_API_KEY/);
    rejectsWith(() => createLanguageModel('openai:gpt-4o', { env: { OPENAI_API_KEY: ' ' } }), /OPENAI_API_KEY/);
    assert.equal(resolveApiKey(parseModelId('openai-compatible:m@http://x/v1', { env: {} }), {}), undefined);
  });

  it('builds AI SDK v3 models for every provider', () => {
    const env = { OPENAI_API_KEY: 'k1', ANTHROPIC_API_KEY: 'k2' };
    for (const id of [
      'openai:gpt-4o',
      'anthropic:claude-haiku-4-5',
      'openai-compatible:m@http://127.0.0.1:1/v1',
      'sim:echo',
    ]) {
      assert.equal(createLanguageModel(id, { env }).specificationVersion, 'v3', id);
    }
    rejectsWith(() => createLanguageModel('local:/no/such/model.gguf'), /does not exist/);
  });
});

describe('pricing', () => {
  it('prices known models, their dated snapshots, and marks unknown ones as unpriced', () => {
    assert.deepEqual(lookupPrice('openai:gpt-4o-mini'), {
      price: { input: 0.15, output: 0.6, cachedInput: 0.075 },
      priced: true,
    });
    assert.equal(lookupPrice('anthropic:claude-sonnet-4-5-20250929').priced, true);
    assert.equal(lookupPrice('openai:gpt-4o-2024-08-06').price.input, 2.5);
    assert.deepEqual(lookupPrice('openai-compatible:llama3'), { price: { input: 0, output: 0 }, priced: false });
    assert.equal(lookupPrice('sim:echo').priced, true);
  });

  it('overlays a validated JSON price file', () => {
    const dir = tempDir('fapo-prices-');
    const good = join(dir, 'prices.json');
    writeFileSync(good, JSON.stringify({ 'openai-compatible:llama3': { input: 0.1, output: 0.2 } }));
    const table = loadPriceTable(good);
    assert.deepEqual(lookupPrice('openai-compatible:llama3', table), {
      price: { input: 0.1, output: 0.2 },
      priced: true,
    });
    assert.equal(lookupPrice('openai:gpt-4o', table).priced, true);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'openai:gpt-4o': { input: -1, output: 2 } }));
    rejectsWith(() => loadPriceTable(bad), /bad\.json at openai:gpt-4o\.input/);
  });
});

describe('local provider without node-llama-cpp', () => {
  it('tells the user to install node-llama-cpp on first use', () => {
    const dir = tempDir('fapo-local-');
    const modelPath = join(dir, 'model.gguf');
    writeFileSync(modelPath, 'not really a model');
    // In a child whose module resolution hides the package, so this runs whether or not it is installed.
    const fixtures = join(import.meta.dirname, 'fixtures');
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        join(fixtures, 'without-package.mjs'),
        join(fixtures, 'local-first-use.ts'),
        modelPath,
      ],
      {
        env: { ...process.env, FAPO_TEST_HIDE_PACKAGE: 'node-llama-cpp' },
        encoding: 'utf8',
      },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      fapoError?: boolean;
      message?: string;
      hint?: string;
    };
    assert.equal(result.fapoError, true, out);
    assert.match(result.message ?? '', /needs node-llama-cpp, which is not installed/);
    assert.match(result.hint ?? '', /npm i node-llama-cpp/);
  });
});
