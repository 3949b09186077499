#!/usr/bin/env node
// fapo is written in TypeScript and runs through tsx, which also loads task workspaces' .ts files.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
