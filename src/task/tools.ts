/** A task's tool setup: its MCP servers, the per-case tool environment and the tools' fingerprint. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { workspaceToolFiles } from '../chain/tools/discover.ts';
import { workspaceRealPath } from '../chain/workspace-files.ts';
import type { McpServerConfig } from '../chain/tools/mcp.ts';
import { FapoError, errorMessage } from '../util/errors.ts';
import { canonicalHash } from '../util/hash.ts';
import { moduleFingerprint } from './fingerprint.ts';
import type { Manifest } from './schema.ts';

export interface TaskTools {
  mcp: Record<string, McpServerConfig>;
  /** The parsed `tools.environment.reset` file; every case and trial starts from a copy. */
  environment?: unknown;
  /** Of the tool modules, the environment file and the MCP setup: part of every run's identity. */
  fingerprint?: string;
}

/** `sandboxHidden`: the workspace paths chain and tool code may not read (load.ts). */
export async function loadTaskTools(dir: string, manifest: Manifest, sandboxHidden: string[]): Promise<TaskTools> {
  const mcp: Record<string, McpServerConfig> = {};
  for (const [name, server] of Object.entries(manifest.tools.mcp))
    mcp[name] = 'url' in server ? server : { ...server, cwd: resolve(dir, server.cwd ?? '.') };
  const files = workspaceToolFiles(dir);
  const modules: Record<string, string> = {};
  for (const file of files) {
    workspaceRealPath(dir, join(dir, file), sandboxHidden, 'the tool module');
    modules[file] = await moduleFingerprint(join(dir, file)).catch((err: Error) => {
      throw new FapoError(`${join(dir, file)}: the tool module does not compile: ${err.message}`);
    });
  }
  const reset = manifest.tools.environment?.reset;
  const environment = reset === undefined ? undefined : readEnvironment(join(dir, reset));
  const used = files.length > 0 || reset !== undefined || Object.keys(mcp).length > 0;
  return {
    mcp,
    ...(environment !== undefined ? { environment } : {}),
    ...(used
      ? { fingerprint: canonicalHash({ modules, environment: environment ?? null, mcp: manifest.tools.mcp }) }
      : {}),
  };
}

function readEnvironment(path: string): unknown {
  if (!existsSync(path))
    throw new FapoError(`${path}: not found (fapo.task.yaml tools.environment.reset)`, 'Point reset at a JSON file.');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FapoError(
      `${path}: not valid JSON: ${errorMessage(err)}`,
      'tools.environment.reset must be a JSON file.',
    );
  }
}
