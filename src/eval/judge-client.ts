import type { ModelClient } from '../models/types.ts';
import { noJudgeError } from '../task/judge.ts';
import type { JudgeClient } from '../task/scorer.ts';

/**
 * The scorer's view of the run's judge model: every call is charged to the `judge` role. Without a
 * judge, asking it stops the run with a message saying how to give one.
 */
export function judgeFor(judge: ModelClient | undefined): JudgeClient {
  if (!judge) return { id: 'none', generate: () => Promise.reject(noJudgeError()) };
  return { id: judge.id, generate: (req) => judge.generate({ ...req, role: 'judge' }) };
}
