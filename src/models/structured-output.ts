/**
 * Structured output: the model's JSON reply, checked against the request's JSON Schema (draft 2020-12)
 * with Ajv. A reply that is not JSON or does not match the schema is the model's failure to follow
 * the format (the step gets no object and is scored accordingly), not an infrastructure error; a
 * schema Ajv cannot compile is the task's error and stops the run.
 */
import { secureJsonParse } from '@ai-sdk/provider-utils';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { FapoError } from '../util/errors.ts';
import { canonicalSchema } from './cache-key.ts';

/**
 * The parser for replies to `schema`: the parsed JSON when it matches, else undefined. Made before
 * the call, so a schema that cannot be compiled fails before anything is spent.
 */
export async function structuredOutputParser(schema: Record<string, unknown>): Promise<(text: string) => unknown> {
  const validate = await validatorFor(schema);
  return (text) => {
    let value: unknown;
    try {
      value = secureJsonParse(text); // the AI SDK's parser: refuses __proto__ / constructor.prototype keys
    } catch {
      return undefined;
    }
    return validate(value) ? value : undefined;
  };
}

const bySchemaObject = new WeakMap<object, ValidateFunction>();
/** Keyed by canonical JSON so equal schemas built afresh per call compile (and stay in Ajv) once. */
const byCanonicalJson = new Map<string, ValidateFunction>();
let ajvLoading: Promise<Ajv2020> | undefined;

async function validatorFor(schema: Record<string, unknown>): Promise<ValidateFunction> {
  const known = bySchemaObject.get(schema);
  if (known) return known;
  const json = canonicalSchema(schema);
  let validate = byCanonicalJson.get(json);
  if (!validate) {
    validate = compile(await (ajvLoading ??= loadAjv()), schema);
    byCanonicalJson.set(json, validate);
  }
  bySchemaObject.set(schema, validate);
  return validate;
}

/** Loaded on the first structured request: Ajv adds ~100 ms to start-up that text-only runs never need. */
async function loadAjv(): Promise<Ajv2020> {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  // Formats are annotations in 2020-12, and provider hints or x-* keywords are not errors.
  return new Ajv2020({ strict: false, validateFormats: false });
}

function compile(ajv: Ajv2020, schema: Record<string, unknown>): ValidateFunction {
  // Without $id and $schema: Ajv refuses a second schema with the same $id, and a draft-07 $schema
  // names a meta-schema the 2020-12 build does not load; validation keywords are unaffected.
  const { $id: _id, $schema: _dialect, ...body } = schema;
  try {
    return ajv.compile(body);
  } catch (err) {
    throw new FapoError(
      `The structured-output JSON Schema is invalid: ${(err as Error).message}.`,
      "Fix the step's `output: { json: … }` schema (JSON Schema draft 2020-12).",
    );
  }
}
