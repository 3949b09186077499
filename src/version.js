// Plain JavaScript so that the command table (src/cli/program.js) can read it without the TypeScript loader.
import { readFileSync } from 'node:fs';

/** fapo's release, from package.json. */
export const FAPO_VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
