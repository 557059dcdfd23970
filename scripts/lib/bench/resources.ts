/**
 * Where a phase's time went: CPU of the host, of this process (the control plane's HTTP apps
 * and the bench itself) and of the data-plane process, and the work each database did
 * (pg_stat_database: commits, rows read and written). Evidence for what holds a figure back.
 *
 * Caveats: pg_stat_database counts every statement outside an explicit transaction as a
 * commit, and includes the bench's own polling (a few queries a second); Postgres publishes a
 * backend's counters about a second after it goes idle, so the end sample waits for that.
 * Table scans (pg_stat_user_tables, sequential + index) approximate statements that touch a
 * table, and name the tables doing the work. Process CPU comes from /proc (Linux only; null elsewhere). CPU percentages are of one core.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import { round, sleep } from './util.ts';

interface DbCounters {
  commits: number;
  rollbacks: number;
  rowsRead: number;
  rowsWritten: number;
  /** pg_stat_user_tables: sequential + index scans started, over all tables (≈ table accesses by statements). */
  tableScans: number;
  seqScans: number;
  /** Tables by scans in the interval, most first: [table, scans, of which sequential, rows read by sequential scans]. */
  byTable?: [string, number, number, number][];
}

type TableStats = Map<string, { seq: number; idx: number; seqRows: number }>;

export interface ResourceSample {
  at: number;
  host: { busy: number; total: number };
  benchCpuMicros: number;
  dataPlaneTicks: number | null;
  db: Record<string, Omit<DbCounters, 'tableScans' | 'seqScans' | 'byTable'>>;
  tables: { dataPlane: TableStats; controlPlane: TableStats };
}

export interface ResourceUse {
  seconds: number;
  /** Share of all the host's cores that were busy (any process, other sessions on the host included). */
  hostCpuBusyPct: number;
  /** % of one core: this process = control plane HTTP apps + bench. */
  benchProcessCpuPct: number;
  dataPlaneProcessCpuPct: number | null;
  dataPlaneDb: DbCounters;
  controlPlaneDb: DbCounters;
}

const CLOCK_TICKS = 100;

/** The data-plane child of this process (test/support/data-plane.ts spawns node … services/dataplane/src/main.ts). */
function dataPlanePid(): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== process.pid) continue;
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('services/dataplane/src/main.ts')) return Number(entry);
      } catch {
        /* gone meanwhile */
      }
    }
  } catch {
    /* no /proc */
  }
  return null;
}

function processTicks(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat; here counted from field 3 (state).
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function hostTimes() {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

export class ResourceMeter {
  private pid: number | null = null;

  constructor(
    private readonly db: { dataPlane: pg.Pool; controlPlane: pg.Pool },
    private readonly databases: { dataPlane: string; controlPlane: string },
  ) {}

  private async tables(db: pg.Pool): Promise<TableStats> {
    const { rows } = await db.query<{ relname: string; seq: string; idx: string; seq_rows: string }>(
      'SELECT relname, seq_scan AS seq, coalesce(idx_scan, 0) AS idx, seq_tup_read AS seq_rows FROM pg_stat_user_tables',
    );
    return new Map(rows.map((r) => [r.relname, { seq: Number(r.seq), idx: Number(r.idx), seqRows: Number(r.seq_rows) }]));
  }

  async sample(settle = false): Promise<ResourceSample> {
    if (settle) await sleep(1200);
    this.pid ??= dataPlanePid();
    const { rows } = await this.db.dataPlane.query<{ datname: string; commits: string; rollbacks: string; read: string; written: string }>(
      `SELECT datname, xact_commit AS commits, xact_rollback AS rollbacks, tup_returned + tup_fetched AS read, tup_inserted + tup_updated + tup_deleted AS written
         FROM pg_stat_database WHERE datname = ANY($1)`,
      [[this.databases.dataPlane, this.databases.controlPlane]],
    );
    const cpu = process.cpuUsage();
    return {
      at: Date.now(),
      host: hostTimes(),
      benchCpuMicros: cpu.user + cpu.system,
      dataPlaneTicks: processTicks(this.pid),
      db: Object.fromEntries(rows.map((r) => [r.datname, { commits: Number(r.commits), rollbacks: Number(r.rollbacks), rowsRead: Number(r.read), rowsWritten: Number(r.written) }])),
      tables: { dataPlane: await this.tables(this.db.dataPlane), controlPlane: await this.tables(this.db.controlPlane) },
    };
  }

  diff(a: ResourceSample, b: ResourceSample): ResourceUse {
    const seconds = (b.at - a.at) / 1000;
    const db = (name: string, plane: 'dataPlane' | 'controlPlane'): DbCounters => {
      const x = a.db[name];
      const y = b.db[name];
      const byTable: [string, number, number, number][] = [];
      for (const [table, after] of b.tables[plane]) {
        const before = a.tables[plane].get(table) ?? { seq: 0, idx: 0, seqRows: 0 };
        const scans = after.seq + after.idx - before.seq - before.idx;
        if (scans > 0) byTable.push([table, scans, after.seq - before.seq, after.seqRows - before.seqRows]);
      }
      byTable.sort((l, r) => r[1] - l[1]);
      const tableScans = byTable.reduce((n, t) => n + t[1], 0);
      const seqScans = byTable.reduce((n, t) => n + t[2], 0);
      if (!x || !y) return { commits: 0, rollbacks: 0, rowsRead: 0, rowsWritten: 0, tableScans, seqScans, byTable: byTable.slice(0, 6) };
      return { commits: y.commits - x.commits, rollbacks: y.rollbacks - x.rollbacks, rowsRead: y.rowsRead - x.rowsRead, rowsWritten: y.rowsWritten - x.rowsWritten, tableScans, seqScans, byTable: byTable.slice(0, 6) };
    };
    return {
      seconds: round(seconds, 2),
      hostCpuBusyPct: round((100 * (b.host.busy - a.host.busy)) / Math.max(1, b.host.total - a.host.total), 1),
      benchProcessCpuPct: round((100 * (b.benchCpuMicros - a.benchCpuMicros)) / 1e6 / seconds, 1),
      dataPlaneProcessCpuPct: a.dataPlaneTicks !== null && b.dataPlaneTicks !== null ? round((100 * (b.dataPlaneTicks - a.dataPlaneTicks)) / CLOCK_TICKS / seconds, 1) : null,
      dataPlaneDb: db(this.databases.dataPlane, 'dataPlane'),
      controlPlaneDb: db(this.databases.controlPlane, 'controlPlane'),
    };
  }
}

/** Per unit (step, run, item) of a phase: commits and rows read/written on each database. */
export function perUnit(use: ResourceUse, units: number) {
  const per = (c: DbCounters) => ({ commits: round(c.commits / units, 1), tableScans: round(c.tableScans / units, 1), rowsRead: round(c.rowsRead / units, 1), rowsWritten: round(c.rowsWritten / units, 1) });
  return units > 0 ? { dataPlaneDb: per(use.dataPlaneDb), controlPlaneDb: per(use.controlPlaneDb) } : null;
}
