export { SandboxPool, type SandboxPoolOptions } from './pool.ts';
export { findSubprocessTools, SubprocessSandbox, type SubprocessLanguage, type SubprocessSandboxOptions, type SubprocessTools } from './subprocess.ts';
export type { LogEntry, SandboxLanguage, SandboxLimits, ScriptError, ScriptErrorClass, ScriptInvocation, ScriptOutcome } from './types.ts';
