import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

function cronProblem(expression: string, timezone?: string): string | null {
  try {
    CronExpressionParser.parse(expression, timezone ? { tz: timezone } : {});
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A schedule trigger: cron (5 fields, or 6 with seconds first) in a time zone, evaluated by
 * the data plane. Each tick fires once however many scheduler replicas run. Ticks missed
 * while the data plane was down are skipped (`skip`, the default: only a tick due in the
 * last minute still fires) or all run (`catch_up`).
 */
export const scheduleTriggerSpecSchema = z
  .strictObject({
    cron: z
      .string()
      .min(1, { error: 'cron must not be empty' })
      .max(200)
      .superRefine((value, ctx) => {
        const problem = cronProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}` });
      })
      .describe('Cron expression: minute hour day-of-month month day-of-week, optionally with seconds first.'),
    timezone: z
      .string()
      .refine(isTimeZone, { error: 'timezone must be an IANA time zone such as Europe/Paris or UTC' })
      .default('UTC')
      .describe('IANA time zone the cron expression is read in (default UTC).'),
    missed: z.enum(['skip', 'catch_up']).default('skip').describe('What happens to ticks missed while the data plane was down.'),
    /** The run's input is `{ scheduledAt, input }`. */
    input: z.unknown().optional().describe('Passed to each run as `input` (the run input is `{ scheduledAt, input }`).'),
  })
  .describe('Runs the workflow on a cron schedule, evaluated in the data plane.');

export type ScheduleTriggerSpec = z.output<typeof scheduleTriggerSpecSchema>;
