/**
 * `--quick`, shared by every `bench:*` script: the same code path at tiny sizes, so the test suite
 * (test/bench/scripts.test.ts) runs each bench and none can break unseen. Quick figures are printed
 * for the eye only: at these sizes they are noise, so quick runs never fail on a target.
 */
export const QUICK = process.argv.includes('--quick');

/** The full-size value, or the quick one under `--quick`. */
export const sized = <T>(full: T, quick: T): T => (QUICK ? quick : full);

/** The script's arguments without `--quick` (for scripts that take their own). */
export const benchArgs = (): string[] => process.argv.slice(2).filter((a) => a !== '--quick');

if (QUICK) console.log('(--quick: tiny sizes, figures are not meaningful)');
