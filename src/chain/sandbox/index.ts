export { SandboxExecutor, type SandboxOptions } from './executor.ts';
export { DEFAULT_LIMITS, SandboxCrashError, SandboxLimitError, type SandboxLimits } from './child.ts';
export { sandboxInfo, type SandboxInfo } from './isolation.ts';
