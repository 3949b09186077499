/**
 * Validate the IFBench checker port against the reference result vectors:
 * `npm run bench:ifbench` (add `-- --verbose` to print each disagreeing response).
 */
import { EXACT_ORACLE_IDS, measureAgreement, type AgreementReport } from '../src/bench/ifbench/agreement.ts';
import './quick.ts'; // --quick runs it whole: the 147 reference rows take a few seconds

const verbose = process.argv.includes('--verbose');
const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);

function print(report: AgreementReport): { exactAgree: number; exactTotal: number } {
  console.log(`\n=== ${report.mode} ===`);
  let exactAgree = 0;
  let exactTotal = 0;
  for (const id of Object.keys(report.byId).sort()) {
    const { agree, total } = report.byId[id];
    const exact = EXACT_ORACLE_IDS.has(id);
    if (exact) {
      exactAgree += agree;
      exactTotal += total;
    }
    console.log(
      `${exact ? 'exact ' : 'approx'} ${id.padEnd(36)} ${agree}/${total}${agree === total ? '' : '  <-- differs'}`,
    );
  }
  console.log(`instruction agreement: ${report.agree}/${report.total} (${pct(report.agree, report.total)})`);
  console.log(`  exact-oracle checkers: ${exactAgree}/${exactTotal} (${pct(exactAgree, exactTotal)})`);
  console.log(`  other checkers: ${report.agree - exactAgree}/${report.total - exactTotal}`);
  console.log(
    `prompt-level agreement: ${report.promptAgree}/${report.prompts} (${pct(report.promptAgree, report.prompts)})`,
  );
  console.log(
    `followed — ours: prompts ${report.ours.promptFollowed}/${report.prompts}, instructions ${report.ours.instructionFollowed}/${report.total};` +
      ` reference: prompts ${report.reference.promptFollowed}/${report.prompts}, instructions ${report.reference.instructionFollowed}/${report.total}`,
  );
  if (report.disagreements.length > 0) console.log('disagreements:');
  for (const d of report.disagreements) {
    console.log(`  row ${d.row} ${d.id}: ours=${d.ours} reference=${d.reference}`);
    if (verbose) console.log(`    ${JSON.stringify(d.response.slice(0, 600))}`);
  }
  return { exactAgree, exactTotal };
}

let exactOk = true;
for (const mode of ['strict', 'loose'] as const) {
  const { exactAgree, exactTotal } = print(measureAgreement(mode));
  exactOk &&= exactAgree === exactTotal;
}
if (!exactOk) {
  console.error('\nFAIL: an exact-oracle checker disagrees with the reference vectors');
  process.exitCode = 1;
}
