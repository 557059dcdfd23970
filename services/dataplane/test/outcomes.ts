import { expect } from 'vitest';
import type { ScriptError, ScriptOutcome } from '../src/sandbox/index.ts';

/** The output of a successful invocation; a failure fails the test with its error. */
export function outputOf(outcome: ScriptOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome.output;
}

/** The error of a failed invocation, which must be of class `cls`. */
export function errorOf(outcome: ScriptOutcome, cls: ScriptError['class']): ScriptError {
  if (outcome.ok) throw new Error(`expected ${cls}, got output ${JSON.stringify(outcome.output)}`);
  expect(outcome.error.class, outcome.error.message).toBe(cls);
  return outcome.error;
}
