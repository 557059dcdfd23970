import { describe, expect, it } from 'vitest';
import { NON_RETRYABLE_ERRORS, RETRY_DEFAULTS, parseWorkflowSource, validateWorkflowDocument, type RetrySpec, type SpecIssue } from '../src/index.ts';
import { kindExamples, script, single } from './fixtures.ts';

function retryOf(retry: unknown): RetrySpec {
  const result = validateWorkflowDocument(single(script('a', { retry })));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.document.nodes[0]!.retry!;
}

function issuesOf(retry: unknown): SpecIssue[] {
  const result = validateWorkflowDocument(single(script('a', { retry })));
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
}

describe('retry', () => {
  it('exports the classes that are not retried by default', () => {
    expect(NON_RETRYABLE_ERRORS).toEqual(['InvalidScript', 'OutputNotSerializable', 'OutputNotStorable', 'OutputTooLarge', 'ExpressionError', 'HttpClientError', 'InvalidInput', 'EgressDenied', 'LanguageNotAllowed']);
    expect(Object.isFrozen(NON_RETRYABLE_ERRORS)).toBe(true);
  });

  it('fills in backoff, delayMs and maxDelayMs, and leaves `on` out', () => {
    expect(RETRY_DEFAULTS).toEqual({ backoff: 'exponential', delayMs: 1000, maxDelayMs: 300_000 });
    expect(retryOf({ attempts: 3 })).toEqual({ attempts: 3, backoff: 'exponential', delayMs: 1000, maxDelayMs: 300_000 });
    expect(retryOf({ attempts: 2, backoff: 'fixed', delayMs: 50, maxDelayMs: 50, on: ['Timeout', 'HttpClientError'] })).toEqual({
      attempts: 2,
      backoff: 'fixed',
      delayMs: 50,
      maxDelayMs: 50,
      on: ['Timeout', 'HttpClientError'],
    });
  });

  it('leaves a node without retry without one', () => {
    const result = validateWorkflowDocument(single(kindExamples.http));
    expect(result.ok && 'retry' in result.document.nodes[0]!).toBe(false);
  });

  it('accepts the limits and rejects what is past them', () => {
    expect(retryOf({ attempts: 1 }).attempts).toBe(1);
    expect(retryOf({ attempts: 20, delayMs: 3_600_000, maxDelayMs: 86_400_000 })).toMatchObject({ attempts: 20, delayMs: 3_600_000, maxDelayMs: 86_400_000 });
    const cases: [unknown, string, string][] = [
      [{ attempts: 0 }, 'attempts', 'attempts must be at least 1 (the first try counts)'],
      [{ attempts: 21 }, 'attempts', 'attempts must be at most 20'],
      [{ attempts: 2.5 }, 'attempts', 'attempts must be an integer'],
      [{}, 'attempts', '"attempts" is required'],
      [{ attempts: 2, backoff: 'linear' }, 'backoff', 'backoff must be "fixed" or "exponential"'],
      [{ attempts: 2, delayMs: 0 }, 'delayMs', 'delayMs must be at least 1'],
      [{ attempts: 2, delayMs: 3_600_001, maxDelayMs: 86_400_000 }, 'delayMs', 'delayMs must be at most 3600000'],
      [{ attempts: 2, maxDelayMs: 0 }, 'maxDelayMs', 'maxDelayMs must be at least 1'],
      [{ attempts: 2, maxDelayMs: 86_400_001 }, 'maxDelayMs', 'maxDelayMs must be at most 86400000'],
      [{ attempts: 2, on: [] }, 'on', 'on must list at least one error class (leave it out to retry every retryable class)'],
      [{ attempts: 2, on: 'Timeout' }, 'on', 'on must be a list of error class names'],
      [{ attempts: 2, on: [''] }, 'on[0]', 'an error class must not be empty'],
      [{ attempts: 2, tries: 3 }, 'tries', 'unknown key "tries"'],
    ];
    for (const [retry, field, message] of cases) {
      expect(issuesOf(retry), JSON.stringify(retry)).toEqual([{ path: `nodes[0].retry.${field}`, pointer: `/nodes/0/retry/${field.replace('[', '/').replace(']', '')}`, message }]);
    }
    expect(issuesOf(3)[0]).toMatchObject({ path: 'nodes[0].retry' });
  });

  it('wants maxDelayMs at least delayMs', () => {
    expect(issuesOf({ attempts: 3, delayMs: 5000, maxDelayMs: 1000 })).toEqual([
      { path: 'nodes[0].retry.maxDelayMs', pointer: '/nodes/0/retry/maxDelayMs', message: 'maxDelayMs must be at least delayMs: 1000 < 5000' },
    ]);
    expect(issuesOf({ attempts: 3, delayMs: 600_000 })).toEqual([
      { path: 'nodes[0].retry.maxDelayMs', pointer: '/nodes/0/retry/maxDelayMs', message: 'maxDelayMs must be at least delayMs: 300000 < 600000 (maxDelayMs defaults to 300000)' },
    ]);
    expect(retryOf({ attempts: 3, delayMs: 600_000, maxDelayMs: 600_000 }).delayMs).toBe(600_000);
  });

  it('is located in YAML', () => {
    const text = 'name: x\nnodes:\n  - id: a\n    type: delay\n    durationMs: 10\n    retry:\n      attempts: 50\n      backoff: linear\n';
    const result = parseWorkflowSource(text, 'yaml');
    expect(!result.ok && result.issues).toEqual([
      { path: 'nodes[0].retry.attempts', pointer: '/nodes/0/retry/attempts', message: 'attempts must be at most 20', line: 7, column: 17 },
      { path: 'nodes[0].retry.backoff', pointer: '/nodes/0/retry/backoff', message: 'backoff must be "fixed" or "exponential"', line: 8, column: 16 },
    ]);
  });
});
