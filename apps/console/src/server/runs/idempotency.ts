import { createHash, createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import { newId } from '@orvanta/protocol';
import type { Tx } from '../db/client.ts';
import { AppError } from '../errors.ts';

/**
 * `Idempotency-Key` for starting runs (draft-ietf-httpapi-idempotency-key-header): the same
 * key from the same tenant with the same request within 24 hours answers with the run the
 * first request started; the same key with a different request is refused.
 *
 * One `IdempotencyRecord` per (tenant, key), claimed by inserting it in the transaction that
 * creates the run, so the unique index decides races: concurrent requests with one key wait
 * on the first one's uncommitted row, then find its run. Rows hold hashes only: never the
 * key itself, and never the request body (run inputs are customer data and stay on the data
 * plane); the request hash is an HMAC under a key of the control plane's, so it cannot be
 * matched against guessed inputs. Times follow the database's clock, so every control-plane replica agrees.
 */

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Sent, as `true`, on an answer that replays an earlier request instead of starting a run. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_WINDOW_HOURS = 24;
/** 1 to 255 printable ASCII characters (space to tilde). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = `${IDEMPOTENCY_KEY_HEADER} must be 1 to 255 printable ASCII characters`;
/** Expired records deleted, at most, each time a key is claimed. */
const PRUNE_BATCH = 100;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A keyed request, reduced to what is stored: the tenant and two hashes. */
export interface IdempotentRequest {
  tenantId: string;
  keyHash: string;
  requestHash: string;
}

/**
 * Checks the key and fingerprints the request: workflow, effective environment and input,
 * as canonical JSON (RFC 8785) so key order and whitespace in the body do not matter.
 */
export function idempotentRequest(
  tenantId: string,
  key: string,
  /** Keys the request hash (HMAC), so a stored hash cannot be matched against guessed inputs. */
  secret: string,
  request: { workflowId: string; environment: string | null; input: unknown },
): IdempotentRequest {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError('validation_failed', 'Validation failed', `The request is not valid: ${IDEMPOTENCY_KEY_RULE}.`, {
      errors: [{ path: `header.${IDEMPOTENCY_KEY_HEADER}`, pointer: `/header/${IDEMPOTENCY_KEY_HEADER}`, message: IDEMPOTENCY_KEY_RULE }],
    });
  }
  const fingerprint = canonicalize({ v: 1, workflowId: request.workflowId, environment: request.environment, input: request.input ?? null });
  return { tenantId, keyHash: sha256(key), requestHash: createHmac('sha256', secret).update(fingerprint!).digest('hex') };
}

const keyReused = () =>
  new AppError(
    'unprocessable',
    'Idempotency-Key reused',
    `This ${IDEMPOTENCY_KEY_HEADER} was used for a different request (another workflow, environment or input) in the last ${IDEMPOTENCY_WINDOW_HOURS} hours. Send a new key for a new request.`,
    { errors: [{ path: `header.${IDEMPOTENCY_KEY_HEADER}`, pointer: `/header/${IDEMPOTENCY_KEY_HEADER}`, message: 'already used for a different request' }] },
  );

/**
 * Inside the transaction that creates run `runId`: claims the key for it and returns null,
 * or returns the run of the live record another request holds (waiting, if that request is
 * still in flight, until it commits or rolls back). An expired record is taken over.
 */
export async function claimIdempotencyKey(tx: Tx, request: IdempotentRequest, runId: string): Promise<string | null> {
  const claimed = await tx.$queryRaw<{ runId: string }[]>`
    INSERT INTO "IdempotencyRecord" ("id", "tenantId", "keyHash", "requestHash", "runId", "createdAt", "expiresAt")
    VALUES (${newId('idem')}, ${request.tenantId}, ${request.keyHash}, ${request.requestHash}, ${runId},
      now() AT TIME ZONE 'UTC', (now() AT TIME ZONE 'UTC') + make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS}))
    ON CONFLICT ("tenantId", "keyHash") DO UPDATE SET
      "id" = EXCLUDED."id", "requestHash" = EXCLUDED."requestHash", "runId" = EXCLUDED."runId",
      "createdAt" = EXCLUDED."createdAt", "expiresAt" = EXCLUDED."expiresAt"
      WHERE "IdempotencyRecord"."expiresAt" <= (now() AT TIME ZONE 'UTC')
    RETURNING "runId"`;
  if (claimed.length > 0) {
    // Opportunistic, bounded pruning of every tenant's expired records (so tenants that stop
    // sending keys are cleaned up too); rows another request is pruning are skipped.
    await tx.$executeRaw`
      DELETE FROM "IdempotencyRecord" WHERE "id" IN (
        SELECT "id" FROM "IdempotencyRecord" WHERE "expiresAt" <= (now() AT TIME ZONE 'UTC')
        ORDER BY "expiresAt" LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED)`;
    return null;
  }
  // A live record: committed by now (the insert waited for its transaction, if any), and
  // locked by the ON CONFLICT until this transaction ends.
  const [record] = await tx.$queryRaw<{ requestHash: string; runId: string }[]>`
    SELECT "requestHash", "runId" FROM "IdempotencyRecord" WHERE "tenantId" = ${request.tenantId} AND "keyHash" = ${request.keyHash}`;
  if (!record) throw new Error('idempotency record vanished after a conflict');
  if (record.requestHash !== request.requestHash) throw keyReused();
  return record.runId;
}
