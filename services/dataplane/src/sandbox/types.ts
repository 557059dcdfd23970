/** Resource limits of one script invocation. */
export interface SandboxLimits {
  /** Wall-clock budget of the script, including the promises it awaits, in milliseconds. */
  timeoutMs: number;
  /**
   * Heap budget of the script's interpreter, in bytes. Enforced on the WebAssembly heap the
   * interpreter lives in (see README), so it is approximate to a few per cent; limits under
   * ~16 MiB are honoured with a reserved ballast block.
   */
  memoryBytes: number;
}

/** One `console.*` call made by a script. */
export interface LogEntry {
  level: 'debug' | 'info' | 'log' | 'warn' | 'error';
  /** The arguments formatted roughly as Node does: strings as they are, other values as JSON. */
  message: string;
  /** ISO-8601 time of the call. */
  at: string;
}

export type ScriptErrorClass =
  | 'ScriptError'
  | 'SandboxTimeout'
  | 'SandboxMemoryLimit'
  | 'SandboxCrashed'
  | 'InvalidScript'
  | 'OutputNotSerializable';

/** Why an invocation failed. Plain data: safe to store and to show to the script's author. */
export interface ScriptError {
  /** `ScriptError`: the script threw or rejected; the others are the sandbox's verdicts. */
  class: ScriptErrorClass;
  /** Name of the error the script threw (`TypeError`, ...), for `ScriptError` and `InvalidScript`. */
  name?: string;
  message: string;
  /** `Name: message` followed by the interpreter's stack frames, in the script's own file name. */
  stack?: string;
}

export type ScriptOutcome =
  | { ok: true; output: unknown; logs: LogEntry[]; durationMs: number }
  | { ok: false; error: ScriptError; logs: LogEntry[]; durationMs: number };

/** One call of a script's default export. */
export interface ScriptInvocation {
  /** An ES module whose default export is `(input, ctx) => output`, possibly async. */
  code: string;
  /** Passed as the first argument, as JSON (`undefined` becomes `null`). */
  input: unknown;
  /** Passed as the second argument, as JSON. */
  ctx: unknown;
  limits: SandboxLimits;
  /** Module name shown in stack traces. Default `script.js`. */
  filename?: string;
}
