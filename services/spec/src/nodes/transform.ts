import { z } from 'zod';
import { jsonataExpressionSchema } from '../expressions.ts';
import { nodeBaseShape } from './common.ts';

/** A node whose output is a JSONata expression's value on its input. */
export const transformNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('transform').describe('Node kind: computes its output with a JSONata expression.'),
    /** JSONata expression; its context (`$`) is the input and `$ctx` is the node context. Its value is the output (`null` when it yields nothing). */
    expression: jsonataExpressionSchema(
      'expression',
      'JSONata expression; its context (`$`) is the input and `$ctx` is the node context. Its value is the output (`null` when it yields nothing).',
    ),
  })
  .describe('Computes its output from its input with a JSONata expression.');
