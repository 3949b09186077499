/**
 * §8 maps retrieval failures to "param or structure". Which one depends on whether a param-level
 * change still has room under the scope's caps: raising k (only when the retrieve step's k is a
 * tunable param and below caps.passagesPerHop) or adding a hop (only when a tunable `hops` param
 * exists and the case ran fewer hops than caps.hops). A missing gold title is never blamed on k
 * without a passagesPerHop cap: unbounded k would game recall metrics (§17 item 8).
 */
import type { ChainStructure } from '../chain/types.ts';
import type { Level } from '../task/schema.ts';
import type { RetrievalHop } from './records.ts';

export interface RetrievalScope {
  /** Playbook caps, e.g. `{passagesPerHop: 3, hops: 3}`. */
  caps?: Record<string, number>;
  /** Params a param-level variant may change; empty or absent = any. */
  tunableParams?: string[];
  /** The variant's params. */
  params?: Record<string, unknown>;
}

export interface RetrievalRemedy {
  level: Level;
  /** Why, for the evidence list. */
  reason: string;
}

/** The `${params.X}` a retrieve step's k is bound to, if any. */
function kParam(chain: ChainStructure, step: string): string | undefined {
  const declared = chain.steps.find((s) => s.name === step && s.kind === 'retrieve')?.k;
  return typeof declared === 'string' ? /\$\{\s*params\.([\w-]+)\s*\}/.exec(declared)?.[1] : undefined;
}

/** Whether a param-level variant may change `param` (it exists and the scope does not exclude it). */
export function isTunable(scope: RetrievalScope, param: string): boolean {
  if (scope.params && !(param in scope.params)) return false;
  return !scope.tunableParams?.length || scope.tunableParams.includes(param);
}

function kHeadroom(hops: RetrievalHop[], chain: ChainStructure, scope: RetrievalScope): string | null {
  const cap = scope.caps?.passagesPerHop;
  if (cap === undefined) return null;
  const hop = hops.find((h) => {
    const param = kParam(chain, h.step);
    return h.k !== null && h.k < cap && param !== undefined && isTunable(scope, param);
  });
  return hop
    ? `param headroom: k of ${hop.step} is ${hop.k} < passagesPerHop cap ${cap} (param ${kParam(chain, hop.step)})`
    : null;
}

function hopHeadroom(hops: RetrievalHop[], scope: RetrievalScope): string | null {
  const cap = scope.caps?.hops;
  // `hops` is the playbook's own word for the cap; the param of that name is the matching knob.
  if (cap === undefined || typeof scope.params?.hops !== 'number' || !isTunable(scope, 'hops')) return null;
  return hops.length < cap ? `param headroom: ran ${hops.length} hop(s) < hops cap ${cap} (param hops)` : null;
}

/** Gold evidence never retrieved: another hop or a larger k may find it; otherwise the chain must change. */
export function missingEvidenceRemedy(
  hops: RetrievalHop[],
  chain: ChainStructure,
  scope: RetrievalScope,
): RetrievalRemedy {
  const reason = hopHeadroom(hops, scope) ?? kHeadroom(hops, chain, scope);
  return reason
    ? { level: 'param', reason }
    : { level: 'structure', reason: 'no param headroom under the scope caps: needs a structural change' };
}

/** Weak or empty retrieval: a larger k or retriever settings, unless the caps leave no room. */
export function weakRetrievalRemedy(
  hops: RetrievalHop[],
  chain: ChainStructure,
  scope: RetrievalScope,
): RetrievalRemedy {
  if (scope.caps?.passagesPerHop === undefined)
    return { level: 'param', reason: 'retrieval settings (k, retriever) are the first knob' };
  const reason = kHeadroom(hops, chain, scope);
  return reason
    ? { level: 'param', reason }
    : { level: 'structure', reason: 'k is at the passagesPerHop cap (or not tunable): needs a structural change' };
}
