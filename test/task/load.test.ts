import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTask, readPrompts } from '../../src/task/load.ts';
import { FapoError } from '../../src/util/errors.ts';
import { copyExample } from '../fixtures/workspace.ts';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function workspace(mutate: (dir: string) => void): string {
  const ws = copyExample();
  cleanups.push(ws.cleanup);
  mutate(ws.dir);
  return ws.dir;
}

async function rejects(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadTask(dir), (err: unknown) => {
    assert.ok(err instanceof FapoError, `expected FapoError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('loadTask', () => {
  it('loads the example task with structure, prompts and fingerprints', async () => {
    const task = await loadTask(workspace(() => {}));
    assert.deepEqual(
      task.structure.steps.map((s) => [s.name, s.kind]),
      [
        ['retrieve', 'retrieve'],
        ['summarize', 'llm'],
        ['query', 'llm'],
        ['answer', 'llm'],
      ],
    );
    assert.equal(task.datasets.train.cases.length, 30);
    assert.match(task.datasets.test.fingerprint, /^[0-9a-f]{64}$/);
    assert.notEqual(task.datasets.val.fingerprint, task.datasets.test.fingerprint);
    assert.deepEqual(task.playbook.levels, ['prompt', 'param', 'structure']);
  });

  it('rejects a malformed JSON line with file:line', async () => {
    const dir = workspace((d) => appendFileSync(join(d, 'data/val.jsonl'), '{"id": "x", "input": {\n'));
    await rejects(dir, /val\.jsonl:31: malformed JSON/);
  });

  it('rejects a line that is not a case', async () => {
    const dir = workspace((d) => appendFileSync(join(d, 'data/train.jsonl'), '{"input": {"question": "q"}}\n'));
    await rejects(dir, /train\.jsonl:31: .*id/);
  });

  it('rejects duplicate ids, naming both places', async () => {
    const dir = workspace((d) => {
      const first = readFileSync(join(d, 'data/train.jsonl'), 'utf8').split('\n')[0]!;
      appendFileSync(join(d, 'data/test.jsonl'), `${first}\n`);
    });
    await rejects(dir, /test\.jsonl:41: duplicate case id "q001" \(first seen at .*train\.jsonl:1\)/);
  });

  it('rejects a missing split and an empty split', async () => {
    await rejects(
      workspace((d) => rmSync(join(d, 'data/val.jsonl'))),
      /missing split "val"/,
    );
    await rejects(
      workspace((d) => writeFileSync(join(d, 'data/test.jsonl'), '\n')),
      /split "test" is empty/,
    );
  });

  it('rejects a template that references an unknown step, with its line', async () => {
    const dir = workspace((d) => appendFileSync(join(d, 'prompts/answer.md'), 'Also: ${steps.rerank.output}\n'));
    await rejects(dir, /answer\.md:4: unknown step "rerank"/);
  });

  it('rejects placeholders that would render empty on every case: unknown input field, parameter or root', async () => {
    const input = workspace((d) => appendFileSync(join(d, 'prompts/answer.md'), 'Context: ${input.nope}\n'));
    await rejects(input, /answer\.md:4: \$\{input\.nope\} names an input field no case has/);
    await assert.rejects(loadTask(input), (err: FapoError) => /question/.test(err.hint ?? ''));
    const param = workspace((d) => appendFileSync(join(d, 'prompts/answer.md'), 'Use ${params.nope} words.\n'));
    await rejects(param, /answer\.md:4: \$\{params\.nope\} names a parameter params\.json does not set/);
    const root = workspace((d) => appendFileSync(join(d, 'prompts/answer.md'), 'Say ${case.id}.\n'));
    await rejects(root, /answer\.md:4: \$\{case\.id\} has no known root/);
  });

  it('rejects an llm step without a template', async () => {
    await rejects(
      workspace((d) => rmSync(join(d, 'prompts/query.md'))),
      /step "query" needs a prompt template/,
    );
  });

  it('rejects a scorer that does not load', async () => {
    await rejects(
      workspace((d) => writeFileSync(join(d, 'scorer.ts'), 'export default {{ broken')),
      /scorer does not load/,
    );
    await rejects(
      workspace((d) => writeFileSync(join(d, 'scorer.ts'), 'export default 42;')),
      /default export must be a function/,
    );
  });

  it('rejects an invalid manifest and playbook with the file named', async () => {
    await rejects(
      workspace((d) => appendFileSync(join(d, 'fapo.task.yaml'), 'colour: blue\n')),
      /fapo\.task\.yaml: .*colour/,
    );
    await rejects(
      workspace((d) => writeFileSync(join(d, 'playbook.yaml'), 'levels: [prompt, magic]\n')),
      /playbook\.yaml: .*levels/,
    );
  });

  it('rejects a retrieve step over an undeclared resource', async () => {
    const dir = workspace((d) => {
      const p = join(d, 'chain.ts');
      writeFileSync(p, readFileSync(p, 'utf8').replace("resource: 'wiki'", "resource: 'web'"));
    });
    await rejects(dir, /unknown resource|uses resource "web"/);
  });
});

describe('readPrompts', () => {
  it('reads tool description overrides from prompts/tools/<tool>.md as tools/<tool>', () => {
    const dir = workspace((d) => {
      mkdirSync(join(d, 'prompts', 'tools'));
      writeFileSync(join(d, 'prompts', 'tools', 'get_order.md'), 'Look up an order by id.');
      writeFileSync(join(d, 'prompts', 'tools', 'notes.txt'), 'not a prompt');
    });
    const prompts = readPrompts(join(dir, 'prompts'));
    assert.equal(prompts['tools/get_order'], 'Look up an order by id.');
    assert.ok(!Object.keys(prompts).some((k) => k.includes('notes')));
    assert.ok('answer' in prompts, 'step templates are still read');
  });
});
