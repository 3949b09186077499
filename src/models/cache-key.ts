/**
 * The response cache key: sha256 of the RFC 8785 canonical JSON of everything that determines the
 * answer. Written out by hand for this fixed shape because canonicalize() over the whole request costs
 * ~10 µs per call, a third of the per-step budget; the bytes are the same as
 * `canonicalHash({ provider, model, messages, sampling, schema, sampleKey, toolChoice, tools })` for every well-formed
 * request (test/models/cache-key.test.ts checks it), so keys stay stable across the two.
 */
import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import { FapoError } from '../util/errors.ts';
import { sha256 } from '../util/hash.ts';
import type { ModelSpec } from './model-id.ts';
import type { ModelRequest, Sampling } from './types.ts';

/** Canonical JSON per schema object: request schemas are treated as immutable. */
const canonicalSchemas = new WeakMap<object, string>();

// One-shot crypto.hash (Node >= 20.12) is about twice as fast as createHash for short inputs.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : sha256;

// In canonical (code-unit sorted) key order.
const SAMPLING_KEYS = ['maxTokens', 'seed', 'temperature', 'topP'] as const satisfies readonly (keyof Sampling)[];

/**
 * The sample key is included only when the request samples (temperature !== 0; an unset temperature
 * means the provider's default, which samples), so trials stay independent while deterministic calls
 * are shared.
 */
export function responseCacheKey(spec: Pick<ModelSpec, 'provider' | 'model'>, req: ModelRequest): string {
  const { messages, sampling, schema, sampleKey, tools, toolChoice } = req;
  let json = '{"messages":[';
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    json += `${i > 0 ? ',' : ''}{"content":${JSON.stringify(message.content)},"role":${JSON.stringify(message.role)}`;
    // Tool-turn fields, in canonical key order, only when present: plain prompts keep their keys.
    if (message.toolCallId !== undefined) json += `,"toolCallId":${JSON.stringify(message.toolCallId)}`;
    if (message.toolCalls !== undefined) json += `,"toolCalls":${canonicalJson(message.toolCalls)}`;
    if (message.toolName !== undefined) json += `,"toolName":${JSON.stringify(message.toolName)}`;
    json += '}';
  }
  json += `],"model":${JSON.stringify(spec.model)},"provider":${JSON.stringify(spec.provider)}`;
  if (sampling.temperature !== 0 && sampleKey !== undefined) json += `,"sampleKey":${JSON.stringify(sampleKey)}`;
  json += ',"sampling":{';
  let first = true;
  for (const name of SAMPLING_KEYS) {
    const value = sampling[name];
    if (value === undefined) continue;
    json += `${first ? '' : ','}"${name}":${samplingValue(name, value)}`;
    first = false;
  }
  json += '}';
  if (schema !== undefined) json += `,"schema":${canonicalSchema(schema)}`;
  if (toolChoice !== undefined) json += `,"toolChoice":${JSON.stringify(toolChoice)}`;
  if (tools !== undefined) json += `,"tools":${canonicalSchema(tools)}`;
  return sha256Hex(`${json}}`);
}

function samplingValue(name: string, value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new FapoError(`sampling.${name} is ${value}; it must be a finite number.`);
  }
  return canonicalJson(value);
}

/** The canonical JSON of a request schema (or tool list), computed once per object. */
export function canonicalSchema(schema: object): string {
  let json = canonicalSchemas.get(schema);
  if (json === undefined) {
    json = canonicalJson(schema);
    canonicalSchemas.set(schema, json);
  }
  return json;
}

function canonicalJson(value: unknown): string {
  try {
    const json = canonicalize(value);
    if (json !== undefined) return json;
  } catch (err) {
    throw new FapoError(`cannot build a cache key: ${(err as Error).message}`);
  }
  throw new FapoError('cannot build a cache key from a value that has no JSON form');
}
