import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, normalize, resolve } from 'node:path';
import type { ChainExecutor } from '../chain/executor.ts';
import { importTaskModule } from '../chain/load-module.ts';
import { SandboxExecutor, type SandboxLimits } from '../chain/sandbox/index.ts';
import { referencedSteps, templateReferences } from '../chain/template.ts';
import type { ChainStructure, ChainVariant } from '../chain/types.ts';
import { variantHash } from '../chain/variant-hash.ts';
import { inside, workspaceRealPath } from '../chain/workspace-files.ts';
import { TOOL_DESCRIPTIONS_DIR, toolDescriptionPrompt } from '../chain/tools/descriptions.ts';
import { FapoError, errorMessage } from '../util/errors.ts';
import { sha256 } from '../util/hash.ts';
import { readJsonl } from '../util/jsonl.ts';
import { parseYamlFile } from '../util/yaml.ts';
import { moduleFingerprint } from './fingerprint.ts';
import {
  type Case,
  CaseSchema,
  type Manifest,
  ManifestSchema,
  type Playbook,
  PlaybookSchema,
  SPLITS,
  type Split,
} from './schema.ts';
import type { Scorer } from './scorer.ts';
import { type TaskTools, loadTaskTools } from './tools.ts';

export const MANIFEST_FILE = 'fapo.task.yaml';

export interface Dataset {
  split: Split;
  /** Workspace-relative path. */
  path: string;
  cases: Case[];
  /** sha256 of the file's bytes, recorded by every run that reads it. */
  fingerprint: string;
}

/** A task as read from disk, without running any of its chain code. */
export interface TaskFiles {
  dir: string;
  manifest: Manifest;
  playbook: Playbook;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
  chainPath: string;
  chainSource: string;
  scorer: Scorer;
  /** sha256 of the scorer with what it imports (fingerprint.ts): part of every run's identity. */
  scorerFingerprint: string;
  datasets: Record<Split, Dataset>;
  tools: TaskTools;
}

/** A task with its baseline chain's structure, checked against its prompts and manifest. */
export interface Task extends TaskFiles {
  structure: ChainStructure;
}

/**
 * Loads and validates a task workspace. Everything is checked up front so that a bad line or a
 * typo in a template fails before any model is paid. The chain module is never imported here: its
 * structure comes from `executor` (default: a sandbox child, closed afterwards).
 */
export async function loadTask(dirArg: string, opts: { executor?: ChainExecutor } = {}): Promise<Task> {
  const files = await readTask(dirArg);
  return { ...files, structure: await describeTaskChain(files, opts.executor) };
}

/**
 * The workspace paths chain code may not read: expected answers, the store (cached answers, runs)
 * and `.env`. Secret-looking files elsewhere are hidden by pattern (sandbox/secret-files.ts).
 */
export function sandboxHiddenPaths(manifest: Manifest): string[] {
  return [dataFolder(manifest), '.fapo'];
}

function dataFolder(manifest: Manifest): string {
  return normalize(manifest.data).replace(/\/+$/, '');
}

/** The manifest's caps on what chain code sends back (defaults where it sets none). */
export function sandboxLimits(manifest: Manifest): Partial<SandboxLimits> {
  const { maxOutputBytes, maxStepRecordBytes } = manifest.sandbox;
  return {
    ...(maxOutputBytes !== undefined ? { maxOutputBytes } : {}),
    ...(maxStepRecordBytes !== undefined ? { maxStepRecordBytes } : {}),
  };
}

/** The workspace's own chain, prompts and params as a variant. */
export function baselineChain(task: TaskFiles): ChainVariant {
  const content = {
    chainPath: task.chainPath,
    chainSource: task.chainSource,
    prompts: task.prompts,
    params: task.params,
  };
  return { ...content, hash: variantHash(content) };
}

/**
 * The baseline chain's structure as `executor` reads it (a sandbox child unless the user opted out),
 * checked against the task: every llm step has a template, references and resources exist.
 */
export async function describeTaskChain(task: TaskFiles, executor?: ChainExecutor): Promise<ChainStructure> {
  const own =
    executor ??
    new SandboxExecutor({
      taskDir: task.dir,
      hide: sandboxHiddenPaths(task.manifest),
      limits: sandboxLimits(task.manifest),
    });
  let structure: ChainStructure;
  try {
    structure = await own.describe(baselineChain(task));
  } finally {
    if (!executor) await own.close();
  }
  checkChainAgainstTask(
    structure,
    task.prompts,
    task.manifest,
    join(task.dir, task.manifest.prompts),
    templateInputs(task.datasets, task.params),
  );
  return structure;
}

/** Reads and validates a task workspace's files; runs the scorer's module, never the chain's. */
export async function readTask(dirArg: string): Promise<TaskFiles> {
  const dir = resolve(dirArg);
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new FapoError(
      `${manifestPath}: not found`,
      `Is "${dirArg}" a task workspace? Create one with \`fapo init ${dirArg}\`.`,
    );
  }
  const manifest = parseYamlFile(manifestPath, ManifestSchema);
  const playbook = parseYamlFile(join(dir, manifest.playbook), PlaybookSchema);
  const params = readParams(join(dir, manifest.params));
  const hidden = sandboxHiddenPaths(manifest);
  const prompts = readPrompts(join(dir, manifest.prompts), { dir, hidden });
  // Corpora are read by fapo, never shown to chain code whole, so one may live in the data folder;
  // a manifest may name one outside the workspace outright (bench cells share the shipped corpora),
  // but a path inside it must not lead out through a symlink.
  const corpusHidden = hidden.filter((h) => h !== dataFolder(manifest));
  for (const [name, resource] of Object.entries(manifest.resources)) {
    const path = join(dir, resource.path);
    if (inside(path, dir)) workspaceRealPath(dir, path, corpusHidden, `the corpus of resource "${name}"`);
  }
  const datasets = readDatasets(dir, manifest.data);

  requireEsmScope(dir);
  const chainAbs = join(dir, manifest.chain);
  if (!existsSync(chainAbs))
    throw new FapoError(`${chainAbs}: chain module not found (manifest "chain: ${manifest.chain}")`);
  const chainSource = readFileSync(chainAbs, 'utf8');

  const scorerAbs = join(dir, manifest.scorer);
  if (!existsSync(scorerAbs))
    throw new FapoError(`${scorerAbs}: scorer module not found (manifest "scorer: ${manifest.scorer}")`);
  // Loaded under its fingerprint, so a changed helper it imports is not served from Node's module cache.
  const scorerFingerprint = await moduleFingerprint(scorerAbs).catch((err: Error) => {
    throw new FapoError(`${scorerAbs}: the scorer does not load: ${err.message}`);
  });
  const scorer = await loadScorer(scorerAbs, scorerFingerprint);
  const tools = await loadTaskTools(dir, manifest, hidden);

  return {
    dir,
    manifest,
    playbook,
    prompts,
    params,
    chainPath: manifest.chain,
    chainSource,
    scorer,
    scorerFingerprint,
    datasets,
    tools,
  };
}

/** Task modules are ES modules; Node decides that from the nearest package.json's "type". */
function requireEsmScope(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      let type: unknown;
      try {
        type = JSON.parse(readFileSync(pkg, 'utf8')).type;
      } catch {
        type = undefined;
      }
      if (type === 'module') return;
      throw new FapoError(
        `${pkg}: task code must be ES modules, but this package.json does not say "type": "module"`,
        `Add a package.json with {"type": "module"} to ${dir}.`,
      );
    }
    if (dirname(d) === d) break;
  }
  throw new FapoError(
    `${dir}: no package.json found; task code must be ES modules`,
    `Add a package.json with {"type": "module"} to ${dir} (fapo init does this).`,
  );
}

function readParams(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    const value = JSON.parse(readFileSync(path, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new FapoError(`${path}: invalid parameters file: ${errorMessage(err)}`);
  }
}

/** Where a task's files may resolve to: its folder minus hidden paths (see workspaceRealPath). */
interface Containment {
  dir: string;
  hidden: string[];
}

/**
 * One template per file: `prompts/<template>.md`, and tool descriptions `prompts/tools/<tool>.md` as
 * `tools/<tool>`. With `within`, a template that resolves (symlinks) outside it is refused: prompts
 * reach the model and the run's records.
 */
export function readPrompts(dir: string, within?: Containment): Record<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FapoError(`${dir}: prompts folder not found`);
  const prompts = readMarkdownFiles(dir, '', within);
  const toolsDir = join(dir, TOOL_DESCRIPTIONS_DIR);
  if (existsSync(toolsDir) && statSync(toolsDir).isDirectory())
    Object.assign(prompts, readMarkdownFiles(toolsDir, toolDescriptionPrompt(''), within));
  return prompts;
}

function readMarkdownFiles(dir: string, keyPrefix: string, within?: Containment): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of readdirSync(dir).sort()) {
    if (extname(file) !== '.md') continue;
    const path = join(dir, file);
    if (within) workspaceRealPath(within.dir, path, within.hidden, 'the prompt template');
    files[`${keyPrefix}${basename(file, '.md')}`] = readFileSync(path, 'utf8');
  }
  return files;
}

function readDatasets(dir: string, dataDir: string): Record<Split, Dataset> {
  const datasets = {} as Record<Split, Dataset>;
  const seen = new Map<string, string>();
  for (const split of SPLITS) {
    const rel = join(dataDir, `${split}.jsonl`);
    const abs = join(dir, rel);
    if (!existsSync(abs))
      throw new FapoError(
        `${abs}: missing split "${split}"`,
        `A task needs data/train.jsonl, data/val.jsonl and data/test.jsonl.`,
      );
    const bytes = readFileSync(abs);
    const rows = readJsonl(abs, CaseSchema, bytes.toString('utf8'));
    if (rows.length === 0) throw new FapoError(`${abs}: split "${split}" is empty`);
    for (const { line, value } of rows) {
      const where = `${abs}:${line}`;
      const earlier = seen.get(value.id);
      if (earlier)
        throw new FapoError(
          `${where}: duplicate case id "${value.id}" (first seen at ${earlier})`,
          'Case ids must be unique across all splits.',
        );
      seen.set(value.id, where);
    }
    datasets[split] = { split, path: rel, cases: rows.map((r) => r.value), fingerprint: sha256(bytes) };
  }
  return datasets;
}

async function loadScorer(absPath: string, version: string): Promise<Scorer> {
  let mod: Record<string, unknown>;
  try {
    mod = await importTaskModule(absPath, version);
  } catch (err) {
    throw new FapoError(`${absPath}: the scorer does not load: ${errorMessage(err)}`);
  }
  if (typeof mod.default !== 'function')
    throw new FapoError(`${absPath}: the scorer's default export must be a function (use defineScorer)`);
  return mod.default as Scorer;
}

/** What templates may read besides steps and vars: the cases' input fields and the parameters. */
export interface TemplateInputs {
  inputKeys: ReadonlySet<string>;
  params: Record<string, unknown>;
}

export function templateInputs(datasets: Record<Split, Dataset>, params: Record<string, unknown>): TemplateInputs {
  const inputKeys = new Set<string>();
  for (const split of SPLITS)
    for (const c of datasets[split].cases) for (const key of Object.keys(c.input)) inputKeys.add(key);
  return { inputKeys, params };
}

const TEMPLATE_ROOTS = new Set(['input', 'params', 'steps', 'vars']);

/**
 * A placeholder naming an input field no case has, a parameter params.json does not set, or no root
 * at all would render as an empty string on every case: a silent zero. It fails the load instead.
 */
function checkTemplateInputs(template: string, file: string, known: TemplateInputs): void {
  for (const ref of templateReferences(template)) {
    const [root = '', key] = ref.split('.');
    const line = template.split('\n').findIndex((l) => l.includes(ref)) + 1;
    const where = `${file}:${line}: \${${ref}}`;
    if (!TEMPLATE_ROOTS.has(root))
      throw new FapoError(
        `${where} has no known root`,
        'Placeholders read input.<field>, params.<name>, steps.<step>.output or vars.<name>.',
      );
    if (root === 'input' && (key === undefined || !known.inputKeys.has(key)))
      throw new FapoError(
        `${where} names an input field no case has`,
        `The cases' input fields: ${[...known.inputKeys].sort().join(', ') || 'none'}.`,
      );
    if (root === 'params' && (key === undefined || !(key in known.params)))
      throw new FapoError(
        `${where} names a parameter params.json does not set`,
        `Parameters: ${Object.keys(known.params).sort().join(', ') || 'none'}.`,
      );
  }
}

/** Every llm step has a template; templates reference only declared steps; resources exist. */
export function checkChainAgainstTask(
  structure: ChainStructure,
  prompts: Record<string, string>,
  manifest: Manifest,
  promptsDir: string,
  known?: TemplateInputs,
): void {
  const stepNames = new Set(structure.steps.map((s) => s.name));
  for (const step of structure.steps) {
    if (step.kind === 'llm' || step.kind === 'agent') {
      const template = prompts[step.prompt!];
      if (template === undefined)
        throw new FapoError(
          `step "${step.name}" needs a prompt template ${join(promptsDir, `${step.prompt}.md`)}, which does not exist`,
        );
      if (known) checkTemplateInputs(template, join(promptsDir, `${step.prompt}.md`), known);
      for (const ref of referencedSteps(template)) {
        if (!stepNames.has(ref)) {
          const line = template.split('\n').findIndex((l) => l.includes(`steps.${ref}`)) + 1;
          throw new FapoError(
            `${join(promptsDir, `${step.prompt}.md`)}:${line}: unknown step "${ref}" in a template reference`,
            `Declared steps: ${[...stepNames].join(', ')}.`,
          );
        }
      }
    }
    if (step.kind === 'retrieve' && !(step.resource! in manifest.resources)) {
      throw new FapoError(
        `retrieve step "${step.name}" uses resource "${step.resource}", which the manifest does not declare`,
        `Declared resources: ${Object.keys(manifest.resources).join(', ') || 'none'}.`,
      );
    }
    if (step.kind === 'retrieve') {
      for (const ref of step.references.filter((r) => r.startsWith('steps.')).map((r) => r.split('.')[1]!)) {
        if (!stepNames.has(ref))
          throw new FapoError(`retrieve step "${step.name}": unknown step "${ref}" in its query`);
      }
    }
  }
}
