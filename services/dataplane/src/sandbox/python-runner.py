"""Runs one python script node inside the bubblewrap sandbox (see subprocess.ts and README).

Protocol: argv[1] is the script file, argv[2] the name to show in tracebacks; stdin holds
{"input": ..., "ctx": ...} as JSON; the answer is one JSON document written to fd 3:
{"ok": true, "output": ...} or {"ok": false, "error": {"class", "name", "message", "stack"}}.
stdout and stderr belong to the script (they become its logs), so nothing it prints can be
mistaken for its answer.
"""

import inspect
import json
import linecache
import os
import sys
import traceback
import types

RESULT_FD = 3
MAX_FRAMES = 50


def main():
    answer = os.fdopen(RESULT_FD, "w", encoding="utf-8")
    os.set_inheritable(RESULT_FD, False)  # not for the script's own subprocesses
    os.closerange(RESULT_FD + 1, 256)  # anything else bubblewrap left open
    path, name = sys.argv[1], sys.argv[2]

    def reply(document):
        answer.write(document)
        answer.flush()

    def fail(cls, exc=None, message=None):
        error = {"class": cls, "message": message if message is not None else describe(exc)}
        if exc is not None:
            error["name"] = type(exc).__name__
            error["stack"] = stack_of(exc, name)
        reply(json.dumps({"ok": False, "error": error}))

    invocation = json.load(sys.stdin)
    sys.stdin = open(os.devnull, encoding="utf-8")  # the input is an argument, not a stream

    with open(path, encoding="utf-8") as f:
        source = f.read()
    # Tracebacks show the node's own file name, with its source lines.
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        code = compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        fail("InvalidScript", exc)
        return

    # A module of its own, so dataclasses, pickle and friends find it; never "__main__", so an
    # `if __name__ == "__main__":` block does not run.
    module = types.ModuleType("__script__")
    module.__file__ = name
    sys.modules["__script__"] = module
    try:
        exec(code, module.__dict__)
        entry = module.__dict__.get("main")
        if entry is None:
            fail("InvalidScript", message="the script defines no main function: def main(input, ctx): ...")
            return
        if not callable(entry):
            fail("InvalidScript", message=f"main is a {type(entry).__name__}, not a function")
            return
        value = entry(*(invocation["input"], invocation["ctx"])[: arity(entry)])
        if inspect.isawaitable(value):
            import asyncio

            value = asyncio.run(awaited(value))
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are the script's too
        fail("ScriptError", exc)
        return

    try:
        output = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except MemoryError as exc:
        fail("ScriptError", exc)
        return
    except (TypeError, ValueError, RecursionError) as exc:
        fail("OutputNotSerializable", message=f"the output is not JSON: {exc}")
        return
    reply('{"ok":true,"output":' + output + "}")


def arity(fn):
    """How many of (input, ctx) main takes: `def main(input)` and `def main()` are fine too."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    positional = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return min(positional, 2)


async def awaited(value):
    return await value


def describe(exc):
    if isinstance(exc, SystemExit):
        return f"the script called exit({exc.code!r})"
    text = str(exc)
    return text if text else type(exc).__name__


def stack_of(exc, name):
    """The traceback from the script's first frame on: the runner's own frames are noise."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != name:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb, limit=-MAX_FRAMES if tb else None)
    return "".join(lines).rstrip()


main()
