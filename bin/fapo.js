#!/usr/bin/env node
// The command table is plain JavaScript; each command registers tsx (which also loads task workspaces'
// .ts files) when it runs, so `fapo --help` does not pay for the TypeScript loader.
await import('../src/cli/program.js');
