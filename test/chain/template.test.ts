import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFields, parseOutput } from '../../src/chain/parse-output.ts';
import {
  formatValue,
  referencedSteps,
  renderTemplate,
  templateReferences,
  toMessages,
} from '../../src/chain/template.ts';

const ctx = {
  input: { question: 'Who?' },
  params: { k: 3 },
  steps: {
    search: { output: [{ id: 'a', title: 'Ada', text: 'Ada wrote notes.' }] },
    parse: { output: { answer: 'Ada' } },
  },
  vars: { hop: 2 },
};

describe('templates', () => {
  it('renders inputs, params, vars, step outputs and fields', () => {
    const r = renderTemplate(
      'Q: ${input.question} k=${params.k} hop ${vars.hop}\n${steps.search.output}\nA: ${steps.parse.output.answer}',
      ctx,
    );
    assert.equal(r.text, 'Q: Who? k=3 hop 2\n[1] «Ada | Ada wrote notes.»\nA: Ada');
    assert.deepEqual(Object.keys(r.used).sort(), [
      'input.question',
      'params.k',
      'steps.parse.output.answer',
      'steps.search.output',
      'vars.hop',
    ]);
    assert.deepEqual(r.missing, []);
  });

  it('a missing variable renders empty and is reported, never thrown', () => {
    const r = renderTemplate('A ${input.nope} B ${steps.ghost.output}', ctx);
    assert.equal(r.text, 'A  B ');
    assert.deepEqual(r.missing, [
      'missing template variable ${input.nope}',
      'missing template variable ${steps.ghost.output}',
    ]);
  });

  it('lists references and referenced steps', () => {
    assert.deepEqual(templateReferences('${input.q} ${steps.a.output} ${steps.a.output.x} ${steps.b.output}'), [
      'input.q',
      'steps.a.output',
      'steps.a.output.x',
      'steps.b.output',
    ]);
    assert.deepEqual(referencedSteps('${steps.a.output} ${steps.a.output.x} ${steps.b.output}'), ['a', 'b']);
  });

  it('splits System:/User:/Assistant: sections into messages', () => {
    assert.deepEqual(toMessages('System: Be brief.\nUser: Q?\nAssistant: A.\nUser: Again?'), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Q?' },
      { role: 'assistant', content: 'A.' },
      { role: 'user', content: 'Again?' },
    ]);
    assert.deepEqual(toMessages('No markers here'), [{ role: 'user', content: 'No markers here' }]);
  });

  it('formats objects as JSON and string lists as lines', () => {
    assert.equal(formatValue({ a: 1 }), '{"a":1}');
    assert.equal(formatValue(['x', 'y']), 'x\ny');
    assert.equal(formatValue(undefined), '');
  });
});

describe('output parsing', () => {
  it('parses DSPy-style sections and field: lines', () => {
    assert.deepEqual(
      parseFields(['reasoning', 'answer'], '[[ ## reasoning ## ]]\nbecause\n[[ ## answer ## ]]\nParis').output,
      { reasoning: 'because', answer: 'Paris' },
    );
    assert.deepEqual(parseFields(['query'], 'Query: capital of France').output, { query: 'capital of France' });
  });

  it('records a diagnostic when a field is missing', () => {
    const one = parseFields(['answer'], 'Paris');
    assert.deepEqual(one.output, { answer: 'Paris' });
    assert.match(one.diagnostics[0]!, /not marked/);
    const two = parseFields(['a', 'b'], 'a: 1');
    assert.deepEqual(two.output, { a: '1', b: '' });
    assert.match(two.diagnostics[0]!, /field "b" not found/);
  });

  it('structured output uses the parsed object, and flags its absence', () => {
    assert.deepEqual(parseOutput({ json: {} }, '{"x":1}', { x: 1 }), { output: { x: 1 }, diagnostics: [] });
    assert.deepEqual(parseOutput({ json: {} }, 'oops', undefined).diagnostics, ['structured output missing']);
    assert.equal(parseOutput('text', '  hi  ', undefined).output, 'hi');
  });
});
