// The journal: <target>/.cas-migrate.json (dockerd ignores it). It records how far a migration
// got, so a rerun after a kill at any moment finishes the same migration instead of starting a
// different one, and a finished root reruns as a no-op. Written atomically (tmp, fsync, rename).
//
//   staging     the layout is being built in .cas-migrate-staging (a rerun rebuilds it; every
//               output is deterministic, so the result is the same)
//   committing  the renames into place have started; everything needed to finish is recorded
//   done        the layout is visible and every container is published
import { constants, promises as fsp, rmSync } from 'node:fs';
import { writeNew } from './files.js';
import type { CommitPlan, Recorded } from './sync.js';

export const JOURNAL_NAME = '.cas-migrate.json';

export interface PublishRecord {
  id: string;
  dir: string;
  config: string; // base64
  hostConfig?: string; // base64
  /** config.v2.json existed before (CAS-era roots) and was kept as config.v2.json.pre-cas-migrate. */
  replacesConfig?: boolean;
  /**
   * The container dir's atime and mtime (ns) before anything was written into it, recorded
   * before the commit: a publish resumed after a kill restores these, not the times the killed
   * run left behind.
   */
  dirTimes?: [string, string];
}

export interface Journal {
  version: 1;
  root: string;
  target: string;
  state: 'staging' | 'committing' | 'done';
  /** Containers to publish after the renames (config.v2.json, hostconfig.json). */
  publish: PublishRecord[];
  /** The report of the run that finished, for a rerun to show. */
  report?: unknown;
  /** Where finalize moved the legacy data (a folder under the root). */
  finalizedTo?: string;
  /**
   * What the visible layout holds, layer by layer and container by container, with the stamps of
   * their inputs (write/sync.ts). Present after a pass finished, and through a later pass until
   * it finishes: that pass syncs against it.
   */
  recorded?: Recorded;
  /** committing a sync: the steps that make it visible, and what is recorded once they are done. */
  commit?: CommitPlan;
  desired?: Recorded;
  /** committing a sync: the containers the last pass had published (to unpublish or refresh). */
  previousPublish?: PublishRecord[];
  /** Image metadata `lastUpdated` files as the pass left them (hex → content): dockerd writes them on tag, pull and load. */
  lastUpdated?: Record<string, string>;
  /** The pass ran while a legacy daemon used the root: its result is provisional. */
  provisional?: boolean;
}

export async function readJournal(target: string): Promise<Journal | undefined> {
  try {
    const j = JSON.parse(await fsp.readFile(`${target}/${JOURNAL_NAME}`, 'utf8')) as Journal;
    return j.version === 1 ? j : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${target}/${JOURNAL_NAME}: unreadable journal (${(e as Error).message}); move it aside to start over`);
  }
}

export async function writeJournal(j: Journal): Promise<void> {
  const path = `${j.target}/${JOURNAL_NAME}`;
  const tmp = `${path}.tmp`;
  await fsp.rm(tmp, { force: true });
  await writeNew(tmp, JSON.stringify(j), 0o600);
  const fh = await fsp.open(tmp, constants.O_RDONLY);
  await fh.sync().finally(() => fh.close());
  await fsp.rename(tmp, path);
  const dir = await fsp.open(j.target, constants.O_RDONLY);
  await dir.sync().finally(() => dir.close());
}

/**
 * Fault injection for the crash tests: CAS_MIGRATE_FAULT=<point> kills the process with SIGKILL
 * at that point, exactly as an operator's kill -9 would. Random kills rarely land in the
 * millisecond-wide commit window; these make every window testable.
 */
export function faultPoint(point: 'checksummed' | 'committing' | 'between-renames' | 'publishing'): void {
  if (process.env.CAS_MIGRATE_FAULT === point) process.kill(process.pid, 'SIGKILL');
}

/**
 * For the online-pass tests: CAS_MIGRATE_FAULT_RM=<path>[:<path>…] removes those paths once,
 * between reading the root and reading its layers — what a legacy daemon's `rmi` does to a pass.
 */
export function faultRemove(): void {
  const paths = process.env.CAS_MIGRATE_FAULT_RM;
  if (!paths) return;
  delete process.env.CAS_MIGRATE_FAULT_RM;
  for (const p of paths.split(':')) rmSync(p, { recursive: true, force: true });
}
