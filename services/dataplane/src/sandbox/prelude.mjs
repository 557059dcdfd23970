// Code that runs inside each fresh QuickJS context before the user's module. It captures the
// intrinsics it needs first, so a script that patches JSON or String can only confuse its own
// result, never the host: everything that crosses the boundary is a string.

/** Levels in the order the prelude reports them to the host (by index). */
export const LOG_LEVELS = /** @type {const} */ (['debug', 'info', 'log', 'warn', 'error']);

/** File name of the prelude in stack traces; frames from it are dropped before a user sees them. */
export const PRELUDE_FILENAME = '<sandbox>';

/** Longest message, stack or single log line copied out of the interpreter, in characters. */
export const MAX_TEXT_CHARS = 1024 * 1024;

/**
 * Evaluates to `setup(hostLog)`, which installs `console` and returns `{ run, describe }`:
 * - `run(namespace, inputJson, ctxJson)` resolves to a tagged string: `J<json>` (the output),
 *   `N<reason>` (output not JSON-serializable) or `I<reason>` (no default export function);
 *   it rejects with whatever the script threw.
 * - `describe(thrown)` returns JSON `{ isNull, isError, name, message, stack, fileName }`.
 */
export const PRELUDE_SOURCE = `(function setup(hostLog) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const ErrorCtor = Error;
  const InternalErrorCtor = globalThis.InternalError;
  const StringCtor = String;
  const defineProperty = Object.defineProperty;
  const LEVELS = ${JSON.stringify(LOG_LEVELS)};
  const MAX = ${MAX_TEXT_CHARS};
  const PRELUDE = ${JSON.stringify(PRELUDE_FILENAME)};
  let accepting = true;

  function clip(s) { return s.length > MAX ? s.slice(0, MAX) : s; }
  function str(v) { try { return clip(StringCtor(v)); } catch (e) { return '[unprintable]'; } }
  function format(v) {
    switch (typeof v) {
      case 'string': return v;
      case 'undefined': return 'undefined';
      case 'number': case 'boolean': case 'symbol': return str(v);
      case 'bigint': return str(v) + 'n';
      case 'function': { let name = ''; try { name = str(v.name); } catch (e) {} return '[Function: ' + (name || '(anonymous)') + ']'; }
    }
    if (v === null) return 'null';
    try {
      if (v instanceof ErrorCtor) {
        const head = str(v.name) + ': ' + str(v.message);
        const stack = v.stack;
        if (typeof stack !== 'string') return head;
        const frames = stack.split('\\n').filter((line) => line !== '' && line.indexOf(PRELUDE) < 0);
        return frames.length === 0 ? head : head + '\\n' + frames.join('\\n');
      }
      const json = stringify(v);
      return json === undefined ? str(v) : json;
    } catch (e) {
      return str(v);
    }
  }
  function emit(level, args) {
    if (!accepting) return;
    let message = '';
    for (let i = 0; i < args.length; i++) message += (i === 0 ? '' : ' ') + format(args[i]);
    accepting = hostLog(level, clip(message));
  }
  const console = {};
  for (let i = 0; i < LEVELS.length; i++) {
    const level = i;
    console[LEVELS[i]] = function (...args) { emit(level, args); };
  }
  defineProperty(globalThis, 'console', { value: console, writable: true, configurable: true, enumerable: false });

  function isOutOfMemory(e) {
    return e === null || (InternalErrorCtor !== undefined && e instanceof InternalErrorCtor && e.message === 'out of memory');
  }
  function toJson(value) {
    if (value === undefined) return 'null';
    return stringify(value, function (key, v) {
      const type = typeof v;
      if (type === 'function' || type === 'symbol' || type === 'bigint') {
        throw new TypeError('a ' + type + ' cannot be represented in JSON' + (key === '' ? '' : ' (at key ' + stringify(StringCtor(key)) + ')'));
      }
      return v;
    });
  }
  async function run(namespace, inputJson, ctxJson) {
    const fn = namespace.default;
    if (typeof fn !== 'function') {
      return 'I' + 'the script must export a default function (input, ctx) => output; its default export is ' + (fn === undefined ? 'missing' : 'a ' + typeof fn);
    }
    const output = await fn(parse(inputJson), parse(ctxJson));
    try {
      return 'J' + toJson(output);
    } catch (e) {
      if (isOutOfMemory(e)) throw e;
      return 'N' + format(e instanceof ErrorCtor ? e.message : e);
    }
  }
  function describe(thrown) {
    const info = { isNull: thrown === null, isError: false };
    try {
      if (thrown instanceof ErrorCtor) {
        info.isError = true;
        info.name = str(thrown.name);
        info.message = str(thrown.message);
        const stack = thrown.stack;
        if (typeof stack === 'string') info.stack = clip(stack);
        const fileName = thrown.fileName;
        if (typeof fileName === 'string') info.fileName = clip(fileName);
      } else {
        info.message = clip(format(thrown));
      }
    } catch (e) {
      info.message = 'the script threw a value that could not be inspected';
    }
    return stringify(info);
  }
  return { run, describe };
})`;
