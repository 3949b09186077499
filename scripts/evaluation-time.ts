/**
 * Time spent inside evaluations (EvaluationService.train/validate/test), for the benches that tell
 * the optimizer's own overhead (attribution, proposals, review, bookkeeping) from the time spent
 * running chains and models. Patches the prototype once per process.
 */
import { EvaluationService } from '../src/optimize/evaluator.ts';

let evaluationMs = 0;
let patched = false;

export function evaluationClock(): { readonly ms: number; reset(): void } {
  if (!patched) {
    patched = true;
    for (const method of ['train', 'validate', 'test'] as const) {
      const original = EvaluationService.prototype[method] as (...args: unknown[]) => Promise<unknown>;
      (EvaluationService.prototype as unknown as Record<string, unknown>)[method] = async function (
        this: EvaluationService,
        ...args: unknown[]
      ) {
        const started = performance.now();
        try {
          return await original.apply(this, args);
        } finally {
          evaluationMs += performance.now() - started;
        }
      };
    }
  }
  return {
    get ms() {
      return evaluationMs;
    },
    reset() {
      evaluationMs = 0;
    },
  };
}
