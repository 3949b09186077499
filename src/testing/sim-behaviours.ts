/**
 * The built-in `sim:` stand-ins, installed explicitly (never on import): `sim:echo` answers with the
 * last user message, `sim:json` with the smallest value its JSON schema allows, `sim:qa` reads the
 * example task's synthetic encyclopedia, `sim:reflect` stands in for GEPA's reflection model, `sim:support` is a
 * toy tool-using agent for the support-desk example, `sim:replies` and `sim:judge` a toy support
 * writer and a toy grader for the feedback walkthrough. None of
 * them is a language model; their output must never be presented as a real model's.
 */
import { registerSimBehaviour, simBehaviourNames } from '../models/sim.ts';
import { simQa } from './sim-qa.ts';
import { simReflect } from './sim-reflect.ts';
import { simJudge } from './sim-judge.ts';
import { simReplies } from './sim-replies.ts';
import { simSupport } from './sim-support.ts';

/** Registers sim:echo, sim:json, sim:qa, sim:reflect, sim:support, sim:replies and sim:judge (idempotent). */
export function installSimBehaviours(): void {
  if (simBehaviourNames().includes('qa')) return;
  registerSimBehaviour('echo', (call) => [...call.messages].reverse().find((m) => m.role === 'user')?.content ?? '');
  registerSimBehaviour('json', (call) => minimalValueForSchema(call.schema ?? { type: 'object' }) as object);
  registerSimBehaviour('qa', simQa);
  registerSimBehaviour('reflect', simReflect);
  registerSimBehaviour('support', simSupport);
  registerSimBehaviour('replies', simReplies);
  registerSimBehaviour('judge', simJudge);
}

/** The smallest value that conforms to a (simple) JSON schema: required properties, minimum sizes. */
export function minimalValueForSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const combinator of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[combinator];
    if (Array.isArray(options) && options.length > 0) return minimalValueForSchema(options[0]);
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      return Object.fromEntries(required.map((key) => [key, minimalValueForSchema(properties[key] ?? {})]));
    }
    case 'array': {
      const count = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: count }, () => minimalValueForSchema(s.items ?? {}));
    }
    case 'string':
      return 'x'.repeat(typeof s.minLength === 'number' ? s.minLength : 0);
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
