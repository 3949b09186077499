/** Gathers a finished session's report inputs from its store: memory, attribution rounds, GEPA lineage. */
import { z } from 'zod';
import type { AttributionReport } from '../../attribution/report.ts';
import type { Store } from '../../eval/store.ts';
import { FapoError } from '../../util/errors.ts';
import { ATTRIBUTION_DOC } from '../fapo/controller.ts';
import type { MemoryRecord } from '../fapo/memory.ts';
import { gepaLineage, loadGepaState } from '../gepa/index.ts';
import { SessionState } from '../session-state.ts';
import type { SessionOutcome } from '../session.ts';
import { lineageFromGepa } from './lineage.ts';
import type { SessionReportInput } from './types.ts';

// Only the fields the report relies on are checked; the rest is the runtime's own output.
const MemorySchema = z.array(z.looseObject({ kind: z.enum(['variant', 'exhaustion']), round: z.number() }));
const AttributionSchema = z.looseObject({
  variant: z.string(),
  cases: z.array(z.unknown()),
  clusters: z.array(z.unknown()),
});

function check(schema: z.ZodType, value: unknown, what: string, fix: string): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  throw new FapoError(
    `${what} is damaged at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    fix,
  );
}

export function loadSessionReportInput(
  store: Store,
  outcome: SessionOutcome,
  extra: Pick<SessionReportInput, 'taskName' | 'taskModel'> = {},
): SessionReportInput {
  const sessionId = outcome.session.id;
  const state = new SessionState(store, sessionId);
  const memory = state.get<MemoryRecord[]>('memory') ?? [];
  check(
    MemorySchema,
    memory,
    `the iteration memory of session ${sessionId}`,
    'Resume the session (`fapo optimize --resume`) to rewrite its memory.',
  );
  const attributions = store.listDocs<AttributionReport>(ATTRIBUTION_DOC, { prefix: `${sessionId}:` }).map((doc) => {
    check(
      AttributionSchema,
      doc.value,
      `attribution document ${doc.id}`,
      'Run `fapo attribute` again for that variant.',
    );
    return doc.value;
  });
  const gepa = loadGepaState(state);
  return {
    outcome,
    memory,
    attributions,
    store,
    ...(gepa ? { lineage: lineageFromGepa(gepaLineage(gepa)) } : {}),
    ...extra,
  };
}
