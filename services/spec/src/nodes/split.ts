import { z } from 'zod';
import { jsonataExpressionSchema } from '../expressions.ts';
import { nodeBaseShape } from './common.ts';

/** A node that sends one message per item of an array. */
export const splitNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('split').describe('Node kind: one message in, one message per item out.'),
    /** JSONata expression that evaluates to an array (context `$` = the input, `$ctx` bound); each item goes on as its own message. */
    items: jsonataExpressionSchema(
      'items',
      'JSONata expression that evaluates to an array (context `$` = the input, `$ctx` bound); each item goes on as its own message.',
    ),
  })
  .describe('Sends one message per item of the array `items` evaluates to; a `join` downstream collects them.');
