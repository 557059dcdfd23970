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
  | 'OutputNotSerializable'
  | 'OutputTooLarge';

/** Why an invocation failed. Plain data: safe to store and to show to the script's author. */
export interface ScriptError {
  /** `ScriptError`: the script threw or rejected; the others are the sandbox's verdicts. */
  class: ScriptErrorClass;
  /** Name of the error the script threw (`TypeError`, ...), for `ScriptError` and `InvalidScript`. */
  name?: string;
  message: string;
  /**
   * `Name: message` followed by the interpreter's stack frames, in the script's own file name
   * (a Python traceback for python; the last lines of stderr for a shell script that failed).
   */
  stack?: string;
  /** Exit status of a shell script that failed (or a python process that died before answering). */
  exitCode?: number;
}

export type ScriptOutcome =
  | { ok: true; output: unknown; logs: LogEntry[]; durationMs: number }
  | { ok: false; error: ScriptError; logs: LogEntry[]; durationMs: number };

/**
 * How a script is run: `javascript` in QuickJS, `python` and `shell` as subprocesses under
 * bubblewrap (see README). TypeScript is compiled to JavaScript before it gets here.
 */
export type SandboxLanguage = 'javascript' | 'python' | 'shell';

/** One call of a script. */
export interface ScriptInvocation {
  /** Default `javascript`. */
  language?: SandboxLanguage;
  /**
   * javascript: an ES module whose default export is `(input, ctx) => output`, possibly async.
   * python: a module defining `main(input, ctx)`. shell: a bash script reading input on stdin.
   */
  code: string;
  /** Passed as the first argument, as JSON (`undefined` becomes `null`). */
  input: unknown;
  /** Passed as the second argument, as JSON. */
  ctx: unknown;
  limits: SandboxLimits;
  /** Module name shown in stack traces. Default `script.js` (`script.py`, `script.sh`). */
  filename?: string;
  /**
   * Hears each log entry while the script runs, in order, for live display. Called only for
   * entries the final `logs` keeps (the same caps, the truncation notice included), and every
   * call comes before `run()` resolves — except for an invocation whose host died. JavaScript
   * entries cross from the interpreter in batches (at most every ~100 ms or 100 entries), so
   * they arrive a little late, never one IPC message per line. Must not throw.
   */
  onLog?: (entry: LogEntry) => void;
}
