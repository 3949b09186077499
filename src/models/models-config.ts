/**
 * Declared provider limits per model: `fapo.models.yaml` in the workspace (or the file given with
 * `--models-config`), and the `--rpm` / `--tpm` flags, which apply to the task model and win over the
 * file. Example:
 *
 *   models:
 *     openai:gpt-4.1-mini: { rpm: 500, tpm: 200000 }
 *     anthropic:claude-sonnet-4-5: { rpm: 50, tpm: 30000 }
 *
 * Limits are the ones of your account tier (the providers' console shows them); fapo stays under them
 * and adapts when the provider answers 429 anyway.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FapoError, errorMessage } from '../util/errors.ts';
import type { RateLimits } from './rate-limit.ts';

export const MODELS_CONFIG_FILE = 'fapo.models.yaml';

const positive = z.number().positive();
const LimitsSchema = z.strictObject({ rpm: positive.optional(), tpm: positive.optional() });
const ModelsConfigSchema = z.strictObject({
  models: z.record(z.string().regex(/^[a-z-]+:.+$/, 'keys are provider:model ids'), LimitsSchema).default({}),
});

export type ModelsConfig = z.infer<typeof ModelsConfigSchema>;

/** Reads and validates a models config; a missing optional file is an empty config. */
export function loadModelsConfig(file: string, { required = true } = {}): ModelsConfig {
  if (!existsSync(file)) {
    if (!required) return { models: {} };
    throw new FapoError(`models config ${file}: not found`, 'Check the --models-config path.');
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new FapoError(`models config ${file}: invalid YAML: ${errorMessage(err)}`);
  }
  const parsed = ModelsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FapoError(
      `models config ${file} at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      'Write `models:` with one entry per provider:model id, e.g. `openai:gpt-4.1-mini: { rpm: 500, tpm: 200000 }` (requests and tokens per minute).',
    );
  }
  return parsed.data;
}

/** The limits of each model: the config's entry, with the flags laid over it for the task model. */
export function rateLimitsResolver(
  config: ModelsConfig,
  flags: RateLimits & { taskModel?: string } = {},
): (modelId: string) => RateLimits | undefined {
  return (modelId) => {
    const fromFile = config.models[modelId];
    if (modelId !== flags.taskModel) return fromFile;
    const merged: RateLimits = { ...fromFile };
    if (flags.rpm !== undefined) merged.rpm = flags.rpm;
    if (flags.tpm !== undefined) merged.tpm = flags.tpm;
    return merged;
  };
}
