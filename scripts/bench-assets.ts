/**
 * `npm run bench:assets`: 10,000 traces (1,000 trusted with feedback, 9,000 unlabeled; 200 under
 * --quick) through every model-free stage of `fapo assets run` (validate, redact, feedback, cluster,
 * match, rubrics, splits), then a rerun that takes every stage from the store. Prints wall time per
 * stage and the peak resident memory of this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runAsset } from '../src/assets/pipeline.ts';
import { sized } from './quick.ts';

const TRACES = sized(10_000, 200);
const TRUSTED = TRACES / 10;
const INTENTS = 40;
const WORDS = ['order', 'refund', 'parcel', 'password', 'invoice', 'plan', 'account', 'card', 'address', 'delivery'];

/** A customer message of intent `k`: its own three topic words plus filler, and personal data to redact. */
function message(i: number, k: number): string {
  const topic = [WORDS[k % 10], `topic${k}`, `issue${k}x`].join(' ');
  return `Hello, ${topic} problem number ${i}: please help with my ${topic}. Reach me at user${i}@example.com or +44 20 7946 ${String(1000 + (i % 9000))}.`;
}

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-assets-'));
try {
  const lines = (from: number, to: number, trusted: boolean) =>
    Array.from({ length: to - from }, (_, n) => {
      const i = from + n;
      const k = i % INTENTS;
      const pass = i % 3 !== 0;
      return JSON.stringify({
        id: `t${i}`,
        input: { text: message(i, k) },
        output: `Reply ${i}`,
        ...(trusted
          ? {
              feedback: {
                rater: `r${i % 5}`,
                label: pass ? 'pass' : 'fail',
                comment: pass ? 'Cites the policy.' : `Misses step ${k % 7}.`,
              },
            }
          : {}),
      });
    }).join('\n');
  writeFileSync(join(root, 'trusted.jsonl'), lines(0, TRUSTED, true));
  writeFileSync(join(root, 'unlabeled.jsonl'), lines(TRUSTED, TRACES, false));
  writeFileSync(
    join(root, 'asset.yaml'),
    stringify({
      name: 'bench',
      trusted: 'trusted.jsonl',
      unlabeled: 'unlabeled.jsonl',
      redact: { names: ['Alice Smith'] },
    }),
  );

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const times: Record<string, number> = {};
  let last = performance.now();
  const started = last;
  const { result } = runAsset(root, {
    onStage: (s) => {
      const now = performance.now();
      times[s.name] = now - last;
      last = now;
    },
  });
  const firstMs = performance.now() - started;
  const again = performance.now();
  const rerun = runAsset(root);
  const rerunMs = performance.now() - again;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  console.log(`fapo bench:assets: ${TRACES} traces (${TRUSTED} trusted) through every model-free stage`);
  for (const [stage, ms] of Object.entries(times)) console.log(`  ${stage.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms`);
  console.log(
    `  all stages ${firstMs.toFixed(0)} ms; rerun with every stage from the store ${rerunMs.toFixed(0)} ms (reused ${rerun.state.stages.filter((s) => s.reused).length}/${rerun.state.stages.length})`,
  );
  console.log(
    `  ${result.clusters.length} clusters (${result.match.gaps.length} gaps); splits ${Object.entries(result.splits)
      .map(([k, v]) => `${k} ${v.length}`)
      .join(', ')}; redacted ${result.redact.counts.email} e-mails, ${result.redact.counts.phone} phones`,
  );
  console.log(
    `  peak resident memory ${(peakRss / 2 ** 20).toFixed(0)} MB; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
