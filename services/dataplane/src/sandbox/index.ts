export { SandboxPool, type SandboxPoolOptions } from './pool.ts';
export type { LogEntry, SandboxLimits, ScriptError, ScriptErrorClass, ScriptInvocation, ScriptOutcome } from './types.ts';
