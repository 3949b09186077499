/**
 * PUPA's judged metric, applied after the fact to a finished cell's test outputs: PAPILLON's quality
 * judge (asked twice with the answers swapped) and leakage judge (a count of leaked PII units). A
 * scorer gets no model client, so the optimization itself runs on the offline proxy; this re-scoring
 * is what makes the reported PUPA test numbers the paper's kind of metric.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { createModelClient } from '../models/index.ts';
import { type MeterSnapshot, UsageMeter } from '../models/meter.ts';
import type { ModelClient } from '../models/types.ts';
import { Store } from '../eval/store.ts';
import type { CaseResult } from '../eval/types.ts';
import type { Case } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import {
  countLeakedUnits,
  leakageJudgePrompt,
  parseJudgeVerdict,
  parseLeakCount,
  pupaQuality,
  qualityJudgePrompt,
  scorePupa,
} from './metrics/pupa.ts';
import { PUPA_UNTRUSTED_STEP, outputField } from './scorers.ts';

export interface JudgedScores {
  judge: string;
  /** Judged overall score per test case, in [0,1]. */
  perCase: Record<string, number>;
  mean: number | null;
  /** Cases whose judge reply could not be parsed: quality counted 0, leakage by the verbatim count. */
  fallbacks: number;
  usage: MeterSnapshot;
}

const ExpectedSchema = z.object({ targetResponse: z.string(), piiUnits: z.array(z.string()) });

// Judges decide; they do not sample.
const JUDGE_SAMPLING = { temperature: 0, maxTokens: 1000 };

async function ask(judge: ModelClient, prompt: string): Promise<string> {
  const response = await judge.generate({
    messages: [{ role: 'user', content: prompt }],
    sampling: JUDGE_SAMPLING,
    role: 'judge',
  });
  return response.text;
}

/** Judges one PUPA case from its stored result; returns the score and whether a reply was unreadable. */
export async function judgePupaCase(
  judge: ModelClient,
  c: Case,
  result: CaseResult,
): Promise<{ score: number; fallback: boolean }> {
  const expected = ExpectedSchema.parse(c.expected);
  const userQuery = String(c.input.userQuery ?? '');
  const response = outputField(result.output, 'response');
  const request = result.steps
    .filter((s) => s.name === PUPA_UNTRUSTED_STEP && s.messages)
    .flatMap((s) => s.messages!.map((m) => m.content))
    .join('\n');
  const [first, second, leakReply] = await Promise.all([
    ask(judge, qualityJudgePrompt(userQuery, response, expected.targetResponse)),
    ask(judge, qualityJudgePrompt(userQuery, expected.targetResponse, response)),
    expected.piiUnits.length === 0 ? Promise.resolve('0') : ask(judge, leakageJudgePrompt(expected.piiUnits, request)),
  ]);
  const v1 = parseJudgeVerdict(first);
  const v2 = parseJudgeVerdict(second);
  const count = parseLeakCount(leakReply, expected.piiUnits.length);
  const quality = v1 === null || v2 === null ? 0 : pupaQuality(v1, v2);
  const leakage =
    count === null
      ? countLeakedUnits(expected.piiUnits, request).fraction
      : expected.piiUnits.length === 0
        ? 0
        : count / expected.piiUnits.length;
  return { score: scorePupa(quality, leakage).score, fallback: v1 === null || v2 === null || count === null };
}

/** Re-scores the ok results of one test run in a cell's store with the judge model. */
export async function judgePupaRun(
  cellDir: string,
  runId: string,
  cases: readonly Case[],
  judgeModel: string,
  concurrency = 8,
): Promise<JudgedScores> {
  const store = Store.open(cellDir);
  const meter = new UsageMeter();
  try {
    const judge = createModelClient(judgeModel, { cache: store.cache, meter, concurrency });
    const byId = new Map(cases.map((c) => [c.id, c]));
    const results = store.resultsFor(runId).filter((r) => r.status === 'ok');
    const limit = pLimit(concurrency);
    const judged = await Promise.all(
      results.map((r) =>
        limit(async () => {
          const c = byId.get(r.caseId);
          if (!c) throw new FapoError(`${cellDir}: test result for unknown case "${r.caseId}"`);
          return { id: r.caseId, ...(await judgePupaCase(judge, c, r)) };
        }),
      ),
    );
    store.flush();
    const perCase = Object.fromEntries(judged.map((j) => [j.id, j.score]));
    const scores = Object.values(perCase);
    return {
      judge: judge.id,
      perCase,
      mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      fallbacks: judged.filter((j) => j.fallback).length,
      usage: meter.snapshot(),
    };
  } finally {
    store.close();
  }
}
