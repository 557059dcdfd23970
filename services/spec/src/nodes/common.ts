import { z } from 'zod';

/** Node ids are referenced by edges and by run history, so they stay short and URL/log safe. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export const nodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, {
    error: 'node id must start with a letter or "_", contain only letters, digits, "_" and "-", and be at most 64 characters',
  })
  .describe('Unique id of the node within the workflow; edges refer to nodes by this id.');

/**
 * Fields every node kind has. Each kind spreads this into its own strict object with a
 * literal `type`, so adding a kind is one new file plus one entry in `nodeKindSchemas`.
 */
export const nodeBaseShape = {
  /** Unique id of the node within the workflow (`/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/`); edges refer to nodes by this id. */
  id: nodeIdSchema,
  /** Human-readable label shown in the console and in run history; defaults to the id. */
  name: z.string().optional().describe('Human-readable label shown in the console and in run history; defaults to the id.'),
};
