// One migration: the journal (resume, "already migrated", --force), the medium the root is read
// from (src/sources/: a pre-1.10 graph or a CAS-era store), the staging dir it is written into,
// the verify, and the commit that makes it visible.
import { RootError } from './discover/records.js';
import { daemonsUsing } from './discover/daemons.js';
import { createStaging, discardStaging, existingLayout, finishCommit, isEnvironmental, prepareCommit, refuseSymlinkedTarget } from './write/staging.js';
import { faultPoint, JOURNAL_NAME, readJournal, writeJournal, type Journal } from './write/journal.js';
import { promises as fsp } from 'node:fs';
import { verifyLayout } from './verify/layout.js';
import { changesSince } from './write/rollback.js';
import { publishContainer, publishRecord } from './write/containers.js';
import { openGraph } from './sources/graph.js';
import { openCasStore } from './sources/cas.js';
import { casStoreOf } from './cas/detect.js';
import { now } from './sources/source.js';
import type { Finding, MigrationReport, ProgressEvent } from './report/types.js';

export interface MigrateOptions {
  root: string;
  /** Redo a finished migration from scratch (its layout is removed first). */
  force?: boolean;
  /** A layer whose tar-data is present but unusable stops the migration instead of falling back. */
  strict?: boolean;
  target?: string;
  workers?: number;
  driver?: string;
  /** Tags that cannot be carried over are dropped by name (exit 3) instead of stopping the run. */
  allowTagLoss?: boolean;
  onEvent?: (e: ProgressEvent) => void;
}


export async function migrate(opts: MigrateOptions): Promise<MigrationReport> {
  const t0 = now();
  const emit = opts.onEvent ?? (() => {});
  const root = opts.root.replace(/\/+$/, '') || '/';
  const target = (opts.target ?? root).replace(/\/+$/, '') || '/';
  const findings: Finding[] = [];
  const warn = (f: Omit<Finding, 'severity'>) => {
    const finding: Finding = { severity: 'warning', ...f };
    findings.push(finding);
    emit({ kind: 'warning', finding });
  };

  emit({ kind: 'phase', phase: 'discover' });
  const daemon = daemonsUsing(root)[0];
  if (daemon !== undefined) throw new RootError(root, `a Docker daemon (pid ${daemon}) is using this root; stop it before migrating`);
  await refuseSymlinkedTarget(target);
  const journal = await readJournal(target);
  if (journal) {
    if (journal.root !== root) throw new RootError(`${target}/${JOURNAL_NAME}`, `this target holds a migration of ${journal.root}`);
    if (journal.state === 'committing') return finish(journal, emit, true);
    if (journal.state === 'done' && !opts.force) return { ...(journal.report as MigrationReport), alreadyMigrated: true };
    if (journal.state === 'done') {
      // --force deletes the layout: never once the legacy data is gone or dockerd has used it.
      if (journal.finalizedTo) throw new RootError(journal.finalizedTo, 'the migration was finalized (the legacy data was moved here); --force would delete the only layout');
      const changes = await changesSince(journal);
      if (changes.length) throw new RootError(`${target}/image/overlay2`, `a current dockerd has written to the new layout since the migration (${changes.join('; ')}); --force would delete that`);
      // Forget the finished migration first, so a kill from here on cannot look "done".
      await writeJournal({ ...journal, state: 'staging', publish: [], report: undefined });
      await fsp.rm(`${target}/image/overlay2`, { recursive: true, force: true });
      await fsp.rm(`${target}/overlay2`, { recursive: true, force: true });
    }
  }
  const ctx = { root, target, opts, emit, warn, findings, t0 };
  const source = (await casStoreOf(root, opts.driver)) ? await openCasStore(ctx) : await openGraph(ctx);
  if ((await existingLayout(target)) === 'data')
    throw new RootError(`${target}/image/overlay2`, 'the target already holds an overlay2 layout with layers or images; refusing to overwrite it');

  const staging = await createStaging(target);
  let committing: Journal;
  try {
    const { report, publish } = await source.write(staging);
    emit({ kind: 'phase', phase: 'verify' });
    await verifyLayout(staging.imageRoot, staging.driverRoot);
    await prepareCommit(staging, target);
    report.timings.write += now() - t0 - report.timings.total;
    report.timings.total = now() - t0;
    committing = { version: 1, root, target, state: 'committing', publish: publish.map(publishRecord), report };
    await writeJournal(committing);
    faultPoint('committing');
  } catch (e) {
    await source.cancel();
    await discardStaging(staging, isEnvironmental(e));
    throw e;
  }
  // From here on the journal can finish the job: a failure leaves it for the rerun.
  return finish(committing, emit, false);
}

/** Make the committed layout visible and publish the containers; idempotent, so a rerun resumes it. */
async function finish(j: Journal, emit: (e: ProgressEvent) => void, resumed: boolean): Promise<MigrationReport> {
  emit({ kind: 'phase', phase: 'commit' });
  await finishCommit(j.target);
  const report = j.report as MigrationReport;
  for (const rec of j.publish) {
    try {
      await publishContainer(j.root, j.target, rec);
      faultPoint('publishing');
    } catch (e) {
      const row = report.containers.find((r) => r.id === rec.id)!;
      row.skipped = `${rec.dir}: cannot write config.v2.json: ${(e as Error).message}`;
      report.findings.push({ severity: 'warning', file: rec.dir, message: `container ${row.name || rec.id} skipped: ${(e as Error).message}` });
    }
  }
  // The publish records stay: rollback compares them with what is on disk now.
  await writeJournal({ ...j, state: 'done', report });
  return resumed ? { ...report, resumed: true } : report;
}
