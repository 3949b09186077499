/**
 * `npm run bench:kill`: 20 SIGKILLs across `fapo eval` and `fapo optimize` against a provider that
 * fails a share of its requests (5xx, 429 with Retry-After, malformed bodies, no choices), each
 * killed run compared with an uninterrupted one on a fresh copy of the example workspace:
 *   - identical final results (eval summary; optimize selection, trajectory and test figures);
 *   - compute figures (paid calls, cache hits, tokens, dollars) equal to the uninterrupted run's;
 *   - repaid calls: answers the provider sent in the killed run beyond the uninterrupted run's
 *     (server-side), next to the answers it sent in the 20 ms before each kill (which a process the
 *     OS had not scheduled yet could not have read);
 *   - a call cap (`eval --max-calls`) never exceeded, counted by the provider, across kills.
 * Kills are placed by the provider's request count (a seeded random 5..60 requests after each start).
 *
 * `--quick` (npm test): one kill per command, one trial, one round.
 * Options (environment): FAPO_BENCH_KILLS=10 (per command)  FAPO_BENCH_FAULTS=0.15  FAPO_BENCH_SEED=1
 */
import { isDeepStrictEqual } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { computeFigures, type Drill, type DrillResult, runDrill } from '../test/fixtures/kill-loop.ts';
import { sized } from './quick.ts';

const kills = Number(process.env.FAPO_BENCH_KILLS ?? sized(10, 1));
const evalTrials = sized('4', '1');
const optimizeRounds = sized('2', '1');
const faultRate = Number(process.env.FAPO_BENCH_FAULTS ?? 0.15);
const seed = Number(process.env.FAPO_BENCH_SEED ?? 1);
const provider = {
  faultRate,
  kinds: ['http500', 'http429', 'malformed', 'empty'] as ('http500' | 'http429' | 'malformed' | 'empty')[],
  latencyMs: 20,
};

console.log(
  `bench:kill — ${kills} SIGKILLs per command, ${(100 * faultRate).toFixed(0)}% of requests fail first (${provider.kinds.join(', ')}), ` +
    `fake model ${provider.latencyMs} ms/answer, ${cpus().length} CPU cores, load average ${loadavg()[0]!.toFixed(1)}`,
);

interface Row {
  scenario: string;
  kills: number;
  sameResults: boolean;
  sameFigures: boolean;
  paidClean: number;
  paidKilled: number;
  sentJustBeforeKills: number;
  note: string;
}
const rows: Row[] = [];

async function compare(
  name: string,
  command: 'eval' | 'optimize',
  args: string[],
  results: (out: any) => unknown,
  figures: (out: any) => unknown,
): Promise<void> {
  const drill = (n: number): Drill => ({ args, kills: n, seed, provider });
  const clean = await runDrill(command, drill(0));
  const killed = await runDrill(command, drill(kills));
  const [a, b] = [clean, killed].map((r) => parse(r, name));
  rows.push({
    scenario: name,
    kills: killed.kills,
    sameResults: isDeepStrictEqual(results(a), results(b)),
    sameFigures: isDeepStrictEqual(figures(a), figures(b)),
    paidClean: clean.paid,
    paidKilled: killed.paid,
    sentJustBeforeKills: killed.sentJustBeforeKills,
    note: isDeepStrictEqual(figures(a), figures(b))
      ? ''
      : `figures ${JSON.stringify(figures(a))} vs ${JSON.stringify(figures(b))}`,
  });
}

function parse(r: DrillResult, name: string): any {
  try {
    return JSON.parse(r.final.stdout);
  } catch {
    throw new Error(`${name}: the final run printed no JSON (exit ${r.final.code}): ${r.final.stderr.slice(-2000)}`);
  }
}

await compare(
  `eval val ×${evalTrials} trials`,
  'eval',
  ['--split', 'val', '--trials', evalTrials, '--json'],
  (out) => out.summary,
  (out) => computeFigures(out.usage),
);
await compare(
  `optimize (${optimizeRounds} rounds)`,
  'optimize',
  ['--trials', '1', '--max-rounds', optimizeRounds, '--resume', '--json'],
  (out) => ({ best: out.best, trajectory: out.trajectory, test: out.test }),
  (out) => Object.fromEntries(Object.entries(out.usage.roles).map(([role, u]) => [role, computeFigures(u as never)])),
);

// A call cap across kills, counted by the provider.
const cap = sized(150, 40);
const capped = await runDrill('eval', {
  args: ['--split', 'val', '--trials', sized('2', '1'), '--max-calls', String(cap), '--json'],
  kills: Math.max(1, Math.floor(kills / 3)),
  seed,
  provider,
});

console.log('');
console.log(
  '| scenario | kills | same results | same compute figures | provider answers (clean → killed) | repaid | answered ≤ 20 ms before a kill |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.scenario} | ${r.kills} | ${r.sameResults ? 'yes' : 'NO'} | ${r.sameFigures ? 'yes' : 'NO'} | ${r.paidClean} → ${r.paidKilled} | ${r.paidKilled - r.paidClean} | ${r.sentJustBeforeKills} |`,
  );
for (const r of rows) if (r.note) console.log(`${r.scenario}: ${r.note}`);
const totalKills = rows.reduce((n, r) => n + r.kills, 0);
const repaid = rows.reduce((n, r) => n + r.paidKilled - r.paidClean, 0);
console.log('');
console.log(`repaid calls: ${repaid} over ${totalKills} kills`);
console.log(
  `call cap ${cap} (eval --max-calls) over ${capped.kills} kills: the provider answered ${capped.paid} calls — ${capped.paid <= cap ? 'held' : 'EXCEEDED'}; final exit code ${capped.final.code}`,
);
