/**
 * defineJudgeScorer with a scripted judge: rubric scoring, the position guard, the verbosity guard,
 * n-sample majority, and unreadable verdicts as infra errors (never a zero).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelRequest, ModelResponse } from '../../src/models/types.ts';
import { defineJudgeScorer, unmetCriteria } from '../../src/task/judge.ts';
import type { JudgeClient, ScoreResult, ScorerInput } from '../../src/task/scorer.ts';
import { FapoError, InfraError } from '../../src/util/errors.ts';

type Ask = Omit<ModelRequest, 'role'>;

function scriptedJudge(verdict: (req: Ask) => unknown): JudgeClient & { asked: Ask[] } {
  const asked: Ask[] = [];
  return {
    id: 'scripted:judge',
    asked,
    async generate(req) {
      asked.push(req);
      const object = verdict(req);
      const response: ModelResponse = {
        text: typeof object === 'string' ? object : JSON.stringify(object),
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        latencyMs: 1,
        cached: false,
        modelId: 'scripted:judge',
      };
      return response;
    },
  };
}

const user = (req: Ask) => req.messages.find((m) => m.role === 'user')!.content;
const input = (judge: JudgeClient, output: unknown, expected: unknown = { rubric: ['cites a source', 'is polite'] }) =>
  ({ case: { id: 'c1', input: { q: 'x' }, expected, metadata: {} }, output, steps: [], judge }) as ScorerInput;

async function score(scorer: ReturnType<typeof defineJudgeScorer>, i: ScorerInput): Promise<ScoreResult> {
  return (await scorer(i)) as ScoreResult;
}

describe('defineJudgeScorer', () => {
  it("scores the share of the case's rubric met, with the unmet criteria and reasons as feedback", async () => {
    const judge = scriptedJudge(() => ({
      criteria: [
        { met: true, reason: 'cites [1]' },
        { met: false, reason: 'curt' },
      ],
    }));
    const result = await score(defineJudgeScorer({ guideline: 'Answer support questions.' }), input(judge, 'See [1].'));
    assert.equal(result.score, 0.5);
    assert.deepEqual(result.breakdown, { criteria_met: 1, criteria: 2, judge_agreement: 1 });
    assert.match(result.feedback!, /not met: is polite — judge: curt/);
    assert.deepEqual(unmetCriteria(result.feedback), ['is polite']);
    assert.equal(judge.asked.length, 1, 'no reference: one order only');
    assert.match(user(judge.asked[0]!), /1\. cites a source\n2\. is polite/);
    assert.ok(judge.asked[0]!.schema, 'the verdict is asked as structured output');
    assert.equal(judge.asked[0]!.sampling.temperature, 0);
  });

  it('with a reference, asks in both orders and counts a criterion met only when both agree', async () => {
    // A judge biased to whatever it reads first: it passes the output only when the output comes first.
    const judge = scriptedJudge((req) => {
      const text = user(req);
      const outputFirst = text.indexOf('OUTPUT:') < text.indexOf('REFERENCE:');
      return { criteria: [{ met: outputFirst, reason: outputFirst ? 'fine' : 'worse than the reference' }] };
    });
    const result = await score(defineJudgeScorer({ guideline: 'Name the capital.' }), input(judge, 'Paris', 'Paris'));
    assert.equal(judge.asked.length, 2);
    assert.equal(result.score, 0, 'a verdict that flips with the order is not a pass');
    assert.equal(result.breakdown!.position_disagreements, 1);
  });

  it('shows a long output cut, with its full length stated (verbosity guard)', async () => {
    const judge = scriptedJudge(() => ({ criteria: [{ met: true, reason: 'ok' }] }));
    await defineJudgeScorer({ guideline: 'Be brief.', maxOutputChars: 100 })(input(judge, 'x'.repeat(5000), {}));
    const text = user(judge.asked[0]!);
    assert.ok(!text.includes('x'.repeat(101)));
    assert.match(text, /5000 characters in all, 100 shown/);
    assert.match(judge.asked[0]!.messages[0]!.content, /Length earns nothing/);
  });

  it('takes n independent samples and the majority, reporting agreement', async () => {
    let n = 0;
    const judge = scriptedJudge(() => ({ criteria: [{ met: n++ !== 1, reason: 'r' }] }));
    const result = await score(defineJudgeScorer({ guideline: 'g', samples: 3 }), input(judge, 'out', {}));
    assert.equal(result.score, 1, 'two of three say met');
    assert.ok(Math.abs(result.breakdown!.judge_agreement! - 2 / 3) < 1e-9);
    assert.deepEqual(
      judge.asked.map((a) => a.sampleKey),
      ['judge/output-first/s0', 'judge/output-first/s1', 'judge/output-first/s2'],
    );
    assert.equal(judge.asked[0]!.sampling.temperature, 0.7);
  });

  it('an unreadable or incomplete verdict is an infra error, not a score', async () => {
    const scorer = defineJudgeScorer({ guideline: 'g' });
    await assert.rejects(
      async () =>
        scorer(
          input(
            scriptedJudge(() => 'I think it is fine'),
            'o',
          ),
        ),
      InfraError,
    );
    await assert.rejects(
      async () =>
        scorer(
          input(
            scriptedJudge(() => ({ criteria: [{ met: true, reason: 'only one' }] })),
            'o',
          ),
        ),
      (err) => err instanceof InfraError && /judged 1 criteria where 2 were asked/.test(err.message),
    );
  });

  it('without a judge, says how to give one', async () => {
    const scorer = defineJudgeScorer({ guideline: 'g' });
    await assert.rejects(
      async () => scorer({ case: { id: 'c', input: {}, expected: null, metadata: {} }, output: 'o', steps: [] }),
      (err) => err instanceof FapoError && /--judge-model/.test(err.hint ?? ''),
    );
  });
});
