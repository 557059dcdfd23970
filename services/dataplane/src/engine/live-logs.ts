import type { Db, Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import type { LogEntry } from '../sandbox/index.ts';
import { redactSecrets } from '../secrets.ts';

/** A batch goes to the database this long after its first line... */
export const LIVE_FLUSH_MS = 250;
/** ...or at once when this many lines wait. */
export const LIVE_FLUSH_LINES = 100;

export interface LiveLogKey {
  tenantId: string;
  runId: string;
  messageId: string;
  attempt: number;
}

/**
 * Writes a running node's log lines to `NodeLog` in small batches, so the ingress can stream
 * them while the node runs. Lines are redacted with the same secret values as the recorded
 * outcome. Best effort: a failed write is dropped (the recorded result keeps every line), and
 * the writer stops for good once its message is no longer running this attempt (cancelled,
 * recorded by another delivery, taken over after a crash).
 *
 * Each batch is one statement that (1) share-locks the message row if it is still `running` at
 * this attempt — so record(), which updates that row before deleting the message's lines, can
 * never leave a batch behind — and (2) takes a per-run advisory lock until it commits, so within
 * a run ascending `seq` is commit order and a reader's cursor never skips a late commit.
 */
export class LiveLogWriter {
  readonly #db: Db;
  readonly #key: LiveLogKey;
  readonly #secrets: string[];
  readonly #log: Logger;
  #pending: LogEntry[] = [];
  #timer?: NodeJS.Timeout;
  #inFlight?: Promise<void>;
  #stopped = false;
  #warned = false;
  /** Whether a batch may have reached the table (a failed write may still have committed). */
  #wrote = false;

  constructor(db: Db, key: LiveLogKey, secrets: string[], log: Logger) {
    this.#db = db;
    this.#key = key;
    this.#secrets = secrets;
    this.#log = log;
  }

  /** Whether this writer may have left rows for record() to drop. */
  get wrote(): boolean {
    return this.#wrote;
  }

  /** The sandbox's `onLog`. */
  readonly add = (entry: LogEntry): void => {
    if (this.#stopped) return;
    this.#pending.push(entry);
    this.#schedule();
  };

  /** Stops writing; lines not yet written are dropped (the node's result is about to carry them all). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = [];
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  #schedule(): void {
    if (this.#stopped || this.#inFlight || this.#pending.length === 0) return;
    if (this.#pending.length >= LIVE_FLUSH_LINES) {
      this.#write();
      return;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.#write(), LIVE_FLUSH_MS);
      this.#timer.unref();
    }
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || this.#inFlight || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, LIVE_FLUSH_LINES);
    this.#wrote = true;
    this.#inFlight = insertLiveLogs(this.#db, this.#key, redactSecrets(batch, this.#secrets))
      .then(
        (written) => {
          if (written === 0) this.#stopped = true;
        },
        (err: unknown) => {
          if (this.#warned) return;
          this.#warned = true;
          // Ids and the error's code only: the lines are customer data.
          this.#log.warn('could not write live log lines; the node’s recorded logs are unaffected', { messageId: this.#key.messageId, error: (err as { code?: string }).code ?? (err as Error)?.name });
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
        this.#schedule();
      });
  }
}

/** Inserts one batch if the message still runs this attempt; returns the rows written (0: it does not). */
async function insertLiveLogs(db: Db, key: LiveLogKey, entries: LogEntry[]): Promise<number> {
  // Postgres text cannot hold NUL.
  const rows = JSON.stringify(entries.map((e) => ({ level: e.level, message: e.message.replaceAll('\0', '\uFFFD'), at: e.at })));
  return db.$executeRaw`
    WITH guard AS MATERIALIZED (
      SELECT m."id", pg_advisory_xact_lock(hashtextextended(${`nodelog:${key.runId}`}::text, 0::bigint)) FROM "Message" m
      WHERE m."id" = ${key.messageId} AND m."status" = 'running' AND m."attempts" = ${key.attempt}
      FOR SHARE
    )
    INSERT INTO "NodeLog" ("tenantId", "runId", "messageId", "attempt", "level", "message", "at")
    SELECT ${key.tenantId}, ${key.runId}, guard."id", ${key.attempt}, e."level", e."message", e."at"
    FROM guard, ROWS FROM (jsonb_to_recordset(${rows}::jsonb) AS ("level" text, "message" text, "at" timestamp(3))) WITH ORDINALITY AS e("level", "message", "at", "n")
    ORDER BY e."n"`;
}

/**
 * Drops a message's live lines, every attempt's: its result (or its failed attempt's history)
 * now holds them. Called by record() in its transaction, after it updated the message row,
 * which waits for a batch being written and stops any later one.
 */
export async function dropLiveLogs(tx: Tx, messageId: string): Promise<void> {
  await tx.nodeLog.deleteMany({ where: { messageId } });
}
