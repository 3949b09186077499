import pc from 'picocolors';
import { installSimBehaviours } from '../testing/index.ts';
import { BudgetExceededError, EXIT_CODES, FapoError } from '../util/errors.ts';

/** Runs a command, mapping errors to a clear message and a non-zero exit code. */
export async function runCommand(command: () => number | Promise<number>): Promise<void> {
  // The CLI offers the offline stand-ins (sim:qa for the demo and the example, sim:reflect …) by name.
  installSimBehaviours();
  try {
    process.exitCode = await command();
  } catch (err) {
    if (err instanceof FapoError || err instanceof BudgetExceededError) {
      console.error(pc.red(`error: ${err.message}`));
      if (err instanceof FapoError && err.hint) console.error(err.hint);
      process.exitCode = err instanceof FapoError ? err.exitCode : EXIT_CODES.usage;
    } else {
      console.error(
        pc.red(
          `fapo failed: ${err instanceof Error ? (process.argv.includes('--debug') ? err.stack : err.message) : String(err)}`,
        ),
      );
      process.exitCode = 1;
    }
  }
}
