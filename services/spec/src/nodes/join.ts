import { z } from 'zod';
import { nodeBaseShape } from './common.ts';

/** A node that waits for several messages and emits them together as one array. */
export const joinNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('join').describe('Node kind: collects messages into one array.'),
    /**
     * Id of the split whose items this join collects; it must be a split node upstream of
     * the join. Default: the nearest split upstream not already closed by another join, or,
     * when there is none, one message from each predecessor.
     */
    from: z
      .string({ error: 'from must be the id of a split node' })
      .optional()
      .describe(
        'Id of the split whose items this join collects; it must be a split node upstream of the join. Default: the nearest split upstream not already closed by another join, or, when there is none, one message from each predecessor.',
      ),
  })
  .describe("Waits for every message that can still reach it (one split execution's items, or its predecessors' outputs) and emits them as one array.");
