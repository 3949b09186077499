export { SandboxExecutor, type SandboxOptions } from './executor.ts';
export { SandboxCrashError } from './child.ts';
export { sandboxInfo, type SandboxInfo } from './isolation.ts';
