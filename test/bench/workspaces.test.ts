import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BENCHMARK_TASKS } from '../../src/bench/data/types.ts';
import { benchmarkDir, prepareCellWorkspace } from '../../src/bench/workspace.ts';
import { openEnvironment } from '../../src/eval/environment.ts';
import { evaluate } from '../../src/eval/runner.ts';
import { baselineVariant } from '../../src/eval/variant.ts';
import { loadTask } from '../../src/task/load.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';

installSimBehaviours();

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-ws-'));
after(() => rmSync(root, { recursive: true, force: true }));

const EXPECTED_STEPS: Record<string, string[]> = {
  hotpotqa: ['retrieve_hop1', 'summarize_hop1', 'query_hop2', 'retrieve_hop2', 'summarize_hop2', 'answer'],
  hover: [
    'retrieve_hop1',
    'summarize_hop1',
    'query_hop2',
    'retrieve_hop2',
    'summarize_hop2',
    'query_hop3',
    'retrieve_hop3',
    'combine_retrievals',
  ],
  ifbench: ['generate_response', 'ensure_correct_response'],
  pupa: ['craft_redacted_request', 'untrusted_llm', 'respond_to_query'],
  aime: ['solve'],
  'livebench-math': ['solve'],
  ctibench: ['classify'],
};

describe('shipped benchmark workspaces', () => {
  for (const name of BENCHMARK_TASKS) {
    it(`${name}: loads with GEPA's baseline program, the study's scope and frozen sampling`, async () => {
      const task = await loadTask(benchmarkDir(name));
      assert.deepEqual(
        task.structure.steps.map((s) => s.name),
        EXPECTED_STEPS[name],
      );
      assert.deepEqual(task.manifest.sampling, { temperature: 1, topP: 0.95, maxTokens: 16000 });
      assert.deepEqual(task.playbook.frozen, ['model', 'temperature', 'topP', 'maxTokens']);
      assert.deepEqual(task.playbook.levels, name === 'ctibench' ? ['prompt'] : ['prompt', 'param', 'structure']);
      assert.equal(task.playbook.allowCheckerAwarePostprocessing, false);
    });
  }

  it('caps keep retrieval at the baseline budget; gold evidence is declared for the retrieval tasks', async () => {
    const hotpot = await loadTask(benchmarkDir('hotpotqa'));
    const hover = await loadTask(benchmarkDir('hover'));
    assert.deepEqual(hotpot.playbook.caps, { passagesPerHop: 7, hops: 2, totalPassages: 14 });
    assert.deepEqual(hover.playbook.caps, { passagesPerHop: 10, hops: 3, totalPassages: 24 });
    assert.deepEqual(hotpot.params, { k_hop1: 7, k_hop2: 7 });
    assert.deepEqual(hover.params, { k_hop1: 7, k_hop2: 7, k_hop3: 10 });
    assert.equal(hotpot.manifest.goldEvidence, 'supportingTitles');
    assert.equal(hover.manifest.goldEvidence, 'supportingTitles');
    // HoVer retrieves from the HotpotQA corpus, shipped once.
    assert.equal(hover.manifest.resources.wiki?.path, '../hotpotqa/data/corpus.jsonl');
  });

  for (const name of BENCHMARK_TASKS) {
    it(`${name}: the baseline evaluates offline on 3 train cases (sim:echo stand-in) with status ok`, async () => {
      const dir = join(root, name);
      prepareCellWorkspace(benchmarkDir(name), dir, { limit: 3, sharedIndexDir: join(root, 'indexes') });
      const env = await openEnvironment(dir, { model: 'sim:echo', concurrency: 4 });
      try {
        const variant = env.store.putVariant(baselineVariant(env.task));
        const { run, summary } = await evaluate({
          task: env.task,
          store: env.store,
          variant,
          split: 'train',
          trials: 1,
          model: env.model,
          sampling: env.sampling,
          executor: env.executor,
          retrievers: env.retrievers,
          retrievalGuard: env.retrievalGuard,
          concurrency: 4,
        });
        assert.equal(summary.counts.ok, 3, JSON.stringify(env.store.resultsFor(run.id).map((r) => r.error)));
        for (const r of env.store.resultsFor(run.id)) {
          assert.ok(r.score !== null && r.score >= 0 && r.score <= 1);
          assert.ok(r.feedback && r.feedback.length > 0, 'GEPA-style feedback for every case');
        }
      } finally {
        await env.close();
      }
    });
  }
});
