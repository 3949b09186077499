import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeCaseByRules, attributeTrial, isAbstention, type RuleContext } from '../../src/attribution/rules.ts';
import { FapoError } from '../../src/util/errors.ts';
import { chainOf, code, llm, qaCase, RAG_CHAIN, result, retrieve } from './fixtures.ts';

const ctx: RuleContext = { chain: RAG_CHAIN, goldEvidenceKey: 'supporting_titles' };
const relevant = [{ title: 'France', text: 'Paris is the capital of France.' }];

function diagnose(testCase: ReturnType<typeof qaCase>, r: ReturnType<typeof result>, context: RuleContext = ctx) {
  return attributeTrial(testCase, r, context);
}

describe('task_error and no-steps rules', () => {
  const question = qaCase('c1', 'What is the capital of France?', 'Paris');

  it('blames the step that carries the error, by its kind', () => {
    const chain = chainOf([
      ['write_query', 'llm'],
      ['zzz', 'retrieve'],
      ['answer', 'llm'],
    ]);
    const r = result('c1', [llm('write_query', null, { error: 'could not parse JSON output' })], null, null, {
      status: 'task_error',
      error: 'step write_query: could not parse JSON output',
    });
    const v = diagnose(question, r, { chain });
    assert.equal(v.label, 'task_error');
    assert.equal(v.step, 'write_query');
    assert.equal(v.level, 'prompt');
    assert.equal(v.confidence, 'high');
    assert.match(v.pattern, /^crash:could-not-parse-json/);
  });

  it('a crash in a code step is structural', () => {
    const r = result(
      'c1',
      [code('merge', undefined), { ...code('merge2', null), error: 'TypeError: x is undefined' }],
      null,
      null,
      { status: 'task_error' },
    );
    const v = diagnose(question, r, {
      chain: chainOf([
        ['merge', 'code'],
        ['merge2', 'code'],
      ]),
    });
    assert.equal(v.step, 'merge2');
    assert.equal(v.level, 'structure');
  });

  it('near miss: a wrong answer without a crash is not a task_error', () => {
    const v = diagnose(
      question,
      result('c1', [retrieve('zzz', 'capital France', relevant), llm('answer', 'Lyon')], 'Lyon', 0),
    );
    assert.notEqual(v.label, 'task_error');
  });

  it('no steps at all', () => {
    const v = diagnose(question, result('c1', [], 'Lyon', 0));
    assert.equal(v.rule, 'no-steps');
    assert.equal(v.step, '(chain)');
  });
});

describe('cascade, empty retrieval and empty intermediate rules', () => {
  const testCase = qaCase('c2', 'Who wrote Hamlet?', 'Shakespeare');
  const chain = chainOf([
    ['write_query', 'llm'],
    ['fetch_docs', 'retrieve'],
    ['answer', 'llm'],
  ]);

  it('cascade: an early empty step and a later empty step blame the root', () => {
    const r = result('c2', [llm('write_query', ''), retrieve('fetch_docs', '', []), llm('answer', '')], '', 0);
    const v = diagnose(testCase, r, { chain });
    assert.equal(v.label, 'cascade');
    assert.equal(v.step, 'write_query');
    assert.equal(v.level, 'structure');
  });

  it('near miss: one empty retrieval with a non-empty answer is a retrieval failure, not a cascade', () => {
    const r = result(
      'c2',
      [llm('write_query', 'Hamlet author'), retrieve('fetch_docs', 'Hamlet author', []), llm('answer', 'Marlowe')],
      'Marlowe',
      0,
    );
    const v = diagnose(testCase, r, { chain });
    assert.equal(v.label, 'retrieval');
    assert.equal(v.rule, 'retrieval-empty');
    assert.equal(v.step, 'fetch_docs', 'a retrieve step named fetch_docs is found by its kind');
    assert.equal(v.level, 'param');
  });

  it('an llm step named retrieve_x that returns nothing is an empty step, not retrieval', () => {
    const llmChain = chainOf([
      ['retrieve_x', 'llm'],
      ['answer', 'llm'],
    ]);
    const r = result('c2', [llm('retrieve_x', []), llm('answer', 'Marlowe')], 'Marlowe', 0);
    const v = diagnose(testCase, r, { chain: llmChain });
    assert.equal(v.label, 'empty_step');
    assert.equal(v.rule, 'empty-intermediate');
    assert.equal(v.step, 'retrieve_x');
    assert.equal(v.level, 'prompt');
  });

  it('near miss: a code step returning undefined is a side-effect step, not empty', () => {
    const codeChain = chainOf([
      ['log', 'code'],
      ['answer', 'llm'],
    ]);
    const v = diagnose(testCase, result('c2', [code('log', undefined), llm('answer', 'Marlowe')], 'Marlowe', 0), {
      chain: codeChain,
    });
    assert.equal(v.rule, 'final-step-fallback');
  });

  it('an empty final output is an empty step at the final step', () => {
    const v = diagnose(
      testCase,
      result('c2', [retrieve('zzz', 'Hamlet', [{ title: 'Hamlet' }]), llm('answer', '  ')], '  ', 0),
    );
    assert.equal(v.rule, 'empty-final');
    assert.equal(v.step, 'answer');
    assert.equal(v.level, 'prompt');
  });
});

describe('gold evidence rule', () => {
  const testCase = qaCase('g1', 'Which band did the singer of X join?', 'Y', {
    supporting_titles: ['Alpha Band', 'Beta Singer'],
  });

  it('names the missing title and what each hop found', () => {
    const r = result(
      'g1',
      [
        retrieve('zzz', 'singer of X', [{ title: 'Alpha Band' }, { title: 'Noise' }], 2, 0),
        retrieve('zzz', 'Alpha Band members', [{ title: 'Gamma' }], 2, 1),
        llm('answer', 'Z'),
      ],
      'Z',
      0,
    );
    const v = diagnose(testCase, r);
    assert.equal(v.label, 'retrieval');
    assert.equal(v.rule, 'gold-evidence');
    assert.equal(v.confidence, 'high');
    assert.deepEqual(v.missingGold, ['Beta Singer']);
    assert.equal(v.pattern, 'gold-title-missing@hop2');
    assert.equal(v.level, 'structure');
    assert.match(v.evidence[0]!, /Beta Singer/);
    assert.match(v.evidence[1]!, /hop1 .*found gold \["Alpha Band"\]/);
    assert.match(v.evidence[2]!, /hop2 .*found no gold/);
  });

  it('param-addressable while a tunable k is below the passages-per-hop cap, structural otherwise', () => {
    const r = result('g1', [retrieve('zzz', 'q', [{ title: 'Alpha Band' }], 3), llm('answer', 'Z')], 'Z', 0);
    const scoped = (scope: RuleContext['scope']) => diagnose(testCase, r, { ...ctx, scope });
    const below = scoped({ caps: { passagesPerHop: 10 }, params: { k: 3 } });
    assert.equal(below.level, 'param');
    assert.match(below.evidence.at(-1)!, /k of zzz is 3 < passagesPerHop cap 10/);
    assert.equal(scoped({ caps: { passagesPerHop: 3 }, params: { k: 3 } }).level, 'structure');
    assert.equal(
      scoped({ caps: { passagesPerHop: 10 }, params: { k: 3 }, tunableParams: ['hops'] }).level,
      'structure',
      'k is not tunable',
    );
    assert.equal(scoped({ params: { k: 3 } }).level, 'structure', 'no cap: a gold miss is never blamed on k');
  });

  it('param-addressable while a tunable hops param is below the hops cap', () => {
    const twoHops = result(
      'g1',
      [
        retrieve('zzz', 'q', [{ title: 'Alpha Band' }], 3, 0),
        retrieve('zzz', 'q2', [{ title: 'N' }], 3, 1),
        llm('answer', 'Z'),
      ],
      'Z',
      0,
    );
    const scope = { caps: { hops: 3, passagesPerHop: 3 }, params: { k: 3, hops: 2 } };
    const v = diagnose(testCase, twoHops, { ...ctx, scope });
    assert.equal(v.level, 'param');
    assert.match(v.evidence.at(-1)!, /ran 2 hop\(s\) < hops cap 3/);
    assert.equal(
      diagnose(testCase, twoHops, { ...ctx, scope: { ...scope, caps: { hops: 2, passagesPerHop: 3 } } }).level,
      'structure',
    );
  });

  it('an llm step named retrieve_x that outputs passage-like objects does not count as retrieval', () => {
    const chain = chainOf([
      ['zzz', 'retrieve'],
      ['retrieve_x', 'llm'],
      ['answer', 'llm'],
    ]);
    const r = result(
      'g1',
      [
        retrieve('zzz', 'q', [{ title: 'Alpha Band' }]),
        llm('retrieve_x', [{ id: 'p', title: 'Beta Singer', text: 'Beta Singer text' }]),
        llm('answer', 'Z'),
      ],
      'Z',
      0,
    );
    const v = diagnose(testCase, r, { ...ctx, chain });
    assert.deepEqual(v.missingGold, ['Beta Singer']);
    assert.equal(v.step, 'zzz');
  });

  it('near miss: all gold retrieved (titles compared case- and underscore-insensitively) → not retrieval, overlap skipped', () => {
    const r = result(
      'g1',
      [
        retrieve('zzz', 'q', [
          { title: 'alpha_band', text: 'unrelated words entirely' },
          { title: 'Beta Singer', text: 'nothing shared' },
        ]),
        llm('answer', 'Z'),
      ],
      'Z',
      0,
    );
    const v = diagnose(testCase, r);
    assert.equal(v.label, 'content');
    assert.equal(v.rule, 'final-step-fallback');
  });

  it('reads HotpotQA {title: [...]} and HoVer [title, sentence] shapes, and rejects unknown shapes', () => {
    const steps = [retrieve('zzz', 'q', [{ title: 'A' }]), llm('answer', 'Z')];
    const hotpot = qaCase('h', 'q?', 'Y', { sf: { title: ['A', 'B'], sent_id: [0, 1] } });
    const hover = qaCase('v', 'q?', 'Y', {
      sf: [
        ['A', 0],
        ['C', 2],
      ],
    });
    assert.deepEqual(
      diagnose(hotpot, result('h', steps, 'Z', 0), { chain: RAG_CHAIN, goldEvidenceKey: 'sf' }).missingGold,
      ['B'],
    );
    assert.deepEqual(
      diagnose(hover, result('v', steps, 'Z', 0), { chain: RAG_CHAIN, goldEvidenceKey: 'sf' }).missingGold,
      ['C'],
    );
    const bad = qaCase('b', 'q?', 'Y', { sf: 42 });
    assert.throws(
      () => diagnose(bad, result('b', steps, 'Z', 0), { chain: RAG_CHAIN, goldEvidenceKey: 'sf' }),
      (err: unknown) => err instanceof FapoError && /case b/.test(err.message),
    );
  });

  it('without a gold key the rule stays off', () => {
    const r = result(
      'g1',
      [retrieve('zzz', 'q', [{ title: 'Noise', text: 'band singer joined' }]), llm('answer', 'Z')],
      'Z',
      0,
    );
    assert.notEqual(diagnose(testCase, r, { chain: RAG_CHAIN }).rule, 'gold-evidence');
  });
});

describe('retrieval overlap rule (hit ≥ 0.4, partial ≥ 0.2, miss < 0.2)', () => {
  // Five content words; none is an English stopword.
  const testCase = qaCase('o1', 'alpha bravo charlie delta echo', 'foxtrot');
  const withText = (text: string) =>
    result('o1', [retrieve('zzz', 'alpha bravo', [{ title: 'T', text }]), llm('answer', 'golf')], 'golf', 0);

  it('miss below 0.1 is high confidence', () => {
    const v = diagnose(testCase, withText('nothing relevant here'));
    assert.equal(v.rule, 'retrieval-overlap');
    assert.equal(v.pattern, 'overlap-miss');
    assert.equal(v.confidence, 'high');
    assert.equal(v.level, 'param');
  });

  it('partial at 0.2 is medium confidence', () => {
    const v = diagnose(testCase, withText('alpha only'));
    assert.equal(v.pattern, 'overlap-partial');
    assert.equal(v.confidence, 'medium');
  });

  it('partial above 0.35 is high confidence', () => {
    const eight = qaCase('o2', 'alpha bravo charlie delta echo hotel india juliet', 'x');
    const r = result(
      'o2',
      [retrieve('zzz', 'q', [{ title: 'T', text: 'alpha bravo charlie' }]), llm('answer', 'golf')],
      'golf',
      0,
    );
    const v = diagnose(eight, r);
    assert.equal(v.pattern, 'overlap-partial');
    assert.equal(v.confidence, 'high');
  });

  it('near miss: a hit at 0.4 is not a retrieval failure', () => {
    assert.equal(diagnose(testCase, withText('alpha and bravo')).rule, 'final-step-fallback');
  });

  it('a retrieve step with any name (here zzz) is analysed by kind', () => {
    assert.equal(diagnose(testCase, withText('nothing')).step, 'zzz');
  });
});

describe('format, abstention and fallback rules', () => {
  const testCase = qaCase('f1', 'What is the capital of France?', 'Paris');
  const answered = (output: string) =>
    result('f1', [retrieve('zzz', 'capital of France', relevant), llm('answer', output)], output, 0);

  it('format: the expected answer inside a long output', () => {
    const v = diagnose(testCase, answered('The capital of France is Paris, on the Seine.'));
    assert.equal(v.label, 'format');
    assert.equal(v.rule, 'format');
    assert.equal(v.level, 'prompt');
    assert.equal(v.confidence, 'medium');
    assert.equal(v.step, 'answer');
  });

  it('format: the length threshold is 1.5 × the answer', () => {
    assert.equal(diagnose(testCase, answered('In Paris')).label, 'format', '8 chars > 7.5');
    assert.equal(diagnose(testCase, answered('Paris!!')).label, 'content', '7 chars ≤ 7.5');
  });

  it('format: the normalised-containment variant', () => {
    const beatles = qaCase('f2', 'Which band recorded Abbey Road?', 'The Beatles');
    const output = 'beatles, the english rock band from liverpool';
    const v = diagnose(
      beatles,
      result(
        'f2',
        [
          retrieve('zzz', 'Abbey Road', [{ title: 'Abbey Road', text: 'band recorded abbey road' }]),
          llm('answer', output),
        ],
        output,
        0,
      ),
    );
    assert.equal(v.rule, 'format-normalised');
  });

  it('near miss: short output, or the answer only as part of a longer word', () => {
    assert.equal(diagnose(testCase, answered('Paris.')).label, 'content');
    assert.equal(diagnose(testCase, answered('Parisian cuisine is famous everywhere')).label, 'content');
  });

  it('abstention: the final output declines to answer', () => {
    const v = diagnose(testCase, answered('I cannot answer this from the given context.'));
    assert.equal(v.label, 'abstention');
    assert.equal(v.level, 'prompt');
    assert.equal(diagnose(testCase, answered('Unknown')).label, 'abstention');
    assert.equal(
      diagnose(testCase, answered('There is insufficient information in the passages.')).label,
      'abstention',
    );
  });

  it('near miss: "Unknown Pleasures" is an answer, not an abstention', () => {
    assert.equal(isAbstention('Unknown Pleasures'), false);
    assert.equal(diagnose(testCase, answered('Unknown Pleasures')).label, 'content');
  });

  it('fallback blames the final step with low confidence', () => {
    const v = diagnose(testCase, answered('Berlin'));
    assert.equal(v.rule, 'final-step-fallback');
    assert.equal(v.step, 'answer');
    assert.equal(v.confidence, 'low');
  });

  it('the declared output step is blamed even when another step ran last', () => {
    const chain = chainOf(
      [
        ['zzz', 'retrieve'],
        ['answer', 'llm'],
        ['log', 'code'],
      ],
      'answer',
    );
    const r = result(
      'f1',
      [retrieve('zzz', 'capital of France', relevant), llm('answer', 'Berlin'), code('log', 'ok')],
      'Berlin',
      0,
    );
    assert.equal(diagnose(testCase, r, { chain }).step, 'answer');
  });
});

describe('per-case attribution over trials', () => {
  const testCase = qaCase('t1', 'What is the capital of France?', 'Paris');
  const trial = (trial: number, output: string, score: number) =>
    result('t1', [retrieve('zzz', 'capital of France', relevant), llm('answer', output)], output, score, { trial });

  it('takes the most frequent diagnosis and records failed/total trials and credit', () => {
    const a = attributeCaseByRules(
      testCase,
      [trial(0, 'Paris', 1), trial(1, 'It is Paris, the capital.', 0), trial(2, 'Paris is the answer here.', 0)],
      ctx,
    )!;
    assert.equal(a.label, 'format');
    assert.deepEqual(a.trials, { failed: 2, total: 3 });
    assert.equal(a.credit, 1 / 3);
    assert.equal(a.confidence, 'medium');
    assert.equal(a.trial, 1);
  });

  it('disagreeing trials: ties go to the more confident diagnosis, lowered one notch', () => {
    const a = attributeCaseByRules(testCase, [trial(0, 'It is Paris, the capital.', 0), trial(1, 'Unknown', 0)], ctx)!;
    assert.equal(a.label, 'abstention');
    assert.equal(a.confidence, 'medium');
    assert.match(a.evidence[0]!, /failed 2\/2 trials/);
  });

  it('a case whose considered trials all pass, or that only had infra errors, is not attributed', () => {
    assert.equal(attributeCaseByRules(testCase, [trial(0, 'Paris', 1)], ctx), null);
    const infra = result('t1', [], null, null, { status: 'infra_error' });
    assert.equal(attributeCaseByRules(testCase, [infra], ctx), null);
  });
});
