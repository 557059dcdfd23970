import { z } from 'zod';
import { nodeBaseShape } from './common.ts';

/** Environment names, as the console accepts them. */
export const ENVIRONMENT_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** A node that runs another workflow of the same tenant with its input and outputs that run's output. */
export const subworkflowNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('subworkflow').describe('Node kind: runs another workflow.'),
    /** Name of the workflow to run, in the same tenant. */
    workflow: z
      .string()
      .min(1, { error: 'workflow must not be empty' })
      .max(100, { error: 'workflow must be at most 100 characters' })
      .describe('Name of the workflow to run, in the same tenant.'),
    /** Environment whose deployed version runs; defaults to the calling run's environment (the latest version when it has none). */
    environment: z
      .string()
      .min(1, { error: 'environment must not be empty', abort: true })
      .max(64, { error: 'environment must be at most 64 characters' })
      .regex(ENVIRONMENT_PATTERN, { error: 'environment must start with a lowercase letter or digit and contain only lowercase letters, digits and "-"' })
      .optional()
      .describe("Environment whose deployed version runs; defaults to the calling run's environment (the latest version when it has none)."),
  })
  .describe("Runs another workflow of the same tenant with this node's input; the output is that run's output.");
