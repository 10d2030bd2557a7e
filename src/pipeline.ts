// One pass of a migration: the journal (resume, sync, --force), the medium the root is read
// from (src/sources/: a pre-1.10 graph or a CAS-era store), the staging dir it is written into,
// the verify, and the commit that makes it visible. A rerun is a sync (write/sync.ts): what the
// root holds now minus what the last pass recorded is the work, so a first pass, a resumed pass
// and a sync are the same computation.
import { existsSync, promises as fsp } from 'node:fs';
import { RootError } from './discover/records.js';
import { classifyDaemons } from './discover/daemons.js';
import { createStaging, discardStaging, existingLayout, finishCommit, isEnvironmental, prepareCommit, refuseSymlinkedTarget } from './write/staging.js';
import { faultPoint, faultRemove, JOURNAL_NAME, readJournal, writeJournal, type Journal, type PublishRecord } from './write/journal.js';
import { verifyLayout } from './verify/layout.js';
import { changesSince, lastUpdatedOf, recordedFromReport } from './write/rollback.js';
import { publishContainer, publishRecord, unpublishContainer } from './write/containers.js';
import { applySyncCommit, isNoop, planCommit, Prior, type CommitPlan, type Recorded } from './write/sync.js';
import { openGraph } from './sources/graph.js';
import { openCasStore } from './sources/cas.js';
import { casStoreOf } from './cas/detect.js';
import { now, type OpenedSource, type SourceContext } from './sources/source.js';
import type { Finding, MigrationReport, ProgressEvent, SyncSummary } from './report/types.js';

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

/** Starts of an online pass over after a layer vanished under it (an rmi), before it gives up. */
const ONLINE_RESTARTS = 3;

/**
 * The file an error names, when it is gone: a layer removed (`docker rmi`) while a pass read it.
 * Only then does an online pass start over; any other error stands.
 */
function vanishedFile(e: unknown): string | undefined {
  const err = e as { file?: unknown; path?: unknown; code?: unknown };
  const file = typeof err.file === 'string' ? err.file : typeof err.path === 'string' ? err.path : undefined;
  if (!file) return undefined;
  const path = file.replace(/ entry .*$/, '');
  return existsSync(path) ? undefined : path;
}

export async function migrate(opts: MigrateOptions, restarts: Finding[] = []): Promise<MigrationReport> {
  const t0 = now();
  const emit = opts.onEvent ?? (() => {});
  const root = opts.root.replace(/\/+$/, '') || '/';
  const target = (opts.target ?? root).replace(/\/+$/, '') || '/';
  const findings: Finding[] = [...restarts];
  const warn = (f: Omit<Finding, 'severity'>) => {
    const finding: Finding = { severity: 'warning', ...f };
    findings.push(finding);
    emit({ kind: 'warning', finding });
  };

  emit({ kind: 'phase', phase: 'discover' });
  const cas = await casStoreOf(root, opts.driver);
  const daemons = classifyDaemons(root, cas);
  if (daemons.current.length) throw new RootError(root, `a current Docker daemon (pid ${daemons.current[0]}) is using this root: it reads the overlay2 layout; stop it before migrating`);
  const online = daemons.legacy[0];
  await refuseSymlinkedTarget(target);
  const last = await lastPass(opts, root, target);
  if ('resume' in last) return finish(last.resume, emit, true);
  const { journal, prior } = last;
  const ours = new Map((journal?.publish ?? []).map((p) => [p.id, { config: Buffer.from(p.config, 'base64'), hostConfig: p.hostConfig ? Buffer.from(p.hostConfig, 'base64') : undefined }]));
  const ctx: SourceContext = { root, target, opts, emit, warn, findings, t0, prior, ours, online: online !== undefined };
  const source: OpenedSource = cas ? await openCasStore(ctx) : await openGraph(ctx);
  faultRemove();
  if (!prior && (await existingLayout(target)) === 'data')
    throw new RootError(`${target}/image/overlay2`, 'the target already holds an overlay2 layout with layers or images; refusing to overwrite it');
  if (online !== undefined) warn({ file: root, message: `a legacy Docker daemon (pid ${online}) is running on this root: this pass is provisional; run cas-migrate again after it stops` });
  for (const pid of daemons.unpinned)
    warn({ file: '/etc/docker/daemon.json', message: `the legacy dockerd (pid ${pid}) picks its storage driver itself: set "storage-driver": "${cas}" before it restarts, or it will refuse to start beside the new overlay2/ dir` });

  const staging = await createStaging(target);
  let committing: Journal;
  try {
    const built = await source.write(staging);
    const { report, publish } = built;
    emit({ kind: 'phase', phase: 'verify' });
    const plan = planCommit(prior, built.recorded, built.kept, staging.driverRoot, built.parents);
    const publishNow = publish.map(publishRecord);
    if (prior) {
      report.sync = syncSummary(prior, built.recorded, plan, journal!, publishNow, report);
      if (isNoop(plan, staging.imageRoot, `${target}/image/overlay2`) && samePublish(journal!.publish, publishNow) && !journal!.provisional === (online === undefined)) {
        await discardStaging(staging);
        const done: Journal = { ...journal!, state: 'done', recorded: built.recorded, report: { ...report, upToDate: true } };
        await writeJournal(done);
        return { ...report, upToDate: true };
      }
    } else {
      // A first pass is verified whole before anything is visible; a sync after its commit (its
      // kept layers are not in the staging dir).
      await verifyLayout(staging.imageRoot, staging.driverRoot);
      await prepareCommit(staging, target);
    }
    report.timings.write += now() - t0 - report.timings.total;
    report.timings.total = now() - t0;
    if (online !== undefined) report.provisional = { daemonPid: online, deferred: report.containers.filter((c) => c.deferred).map((c) => c.name || c.id) };
    committing = {
      version: 1, root, target, state: 'committing', publish: publishNow, report, provisional: online !== undefined,
      recorded: prior?.recorded, desired: built.recorded, commit: prior ? plan : undefined, previousPublish: journal?.publish,
    };
    await writeJournal(committing);
    faultPoint('committing');
  } catch (e) {
    await source.cancel();
    const gone = online !== undefined ? vanishedFile(e) : undefined;
    await discardStaging(staging, isEnvironmental(e) || gone !== undefined);
    if (gone && restarts.length < ONLINE_RESTARTS) {
      // The legacy daemon removed what this pass was reading: start over without it.
      const note: Finding = { severity: 'warning', file: gone, message: `removed by the legacy daemon during the pass (an rmi or rm): dropped; the pass started over` };
      emit({ kind: 'warning', finding: note });
      return migrate(opts, [...restarts, note]);
    }
    throw e;
  }
  // From here on the journal can finish the job: a failure leaves it for the rerun.
  return finish(committing, emit, false);
}

/**
 * What the journal says about the last pass: nothing (a first pass), a commit to finish, or a
 * visible layout to sync against (`prior`) — refused if a current dockerd has used it, and
 * marked as being synced, so that a kill from here on never leaves a "done" that is not true.
 * `--force` forgets a finished pass and removes its layout instead.
 */
async function lastPass(opts: MigrateOptions, root: string, target: string): Promise<{ resume: Journal } | { journal?: Journal; prior?: Prior }> {
  const journal = await readJournal(target);
  if (!journal) return {};
  if (journal.root !== root) throw new RootError(`${target}/${JOURNAL_NAME}`, `this target holds a migration of ${journal.root}`);
  if (journal.state === 'committing') return { resume: journal };
  if (journal.finalizedTo) throw new RootError(journal.finalizedTo, 'the migration was finalized (the legacy data was moved here): there is no legacy root left to migrate or sync');
  const visible = journal.state === 'done' || journal.recorded !== undefined;
  if (!visible) return { journal };
  // Whatever happens next replaces a layout: never one that a current dockerd has used.
  const changes = await changesSince(journal);
  const redo = opts.force ? '--force would delete that' : 'a sync would lose that. Keep the new layout (run `cas-migrate verify`), or roll back by hand';
  if (changes.length) throw new RootError(`${target}/image/overlay2`, `a current dockerd has written to the new layout since the migration (${changes.join('; ')}); ${redo}`);
  if (opts.force && journal.state === 'done') {
    // The publish records stay: they say which container files are ours, for this pass to read the originals.
    const forgotten: Journal = { ...journal, state: 'staging', report: undefined, recorded: undefined };
    await writeJournal(forgotten);
    await fsp.rm(`${target}/image/overlay2`, { recursive: true, force: true });
    await fsp.rm(`${target}/overlay2`, { recursive: true, force: true });
    return { journal: forgotten };
  }
  const prior = new Prior(journal.recorded ?? recordedFromReport(journal), target);
  if (journal.state === 'done') await writeJournal({ ...journal, state: 'staging', recorded: prior.recorded });
  return { journal, prior };
}

/** Make the committed layout visible and publish the containers; idempotent, so a rerun resumes it. */
async function finish(j: Journal, emit: (e: ProgressEvent) => void, resumed: boolean): Promise<MigrationReport> {
  emit({ kind: 'phase', phase: 'commit' });
  if (j.commit) {
    await applySyncCommit(j.target, `${j.target}/.cas-migrate-staging`, j.commit, () => faultPoint('between-renames'));
    await verifyLayout(`${j.target}/image/overlay2`, `${j.target}/overlay2`);
  } else await finishCommit(j.target);
  const report = j.report as MigrationReport;
  const now = new Set(j.publish.map((p) => p.id));
  // Containers a previous pass published that this one does not (removed, or now deferred): their
  // dirs go back to what the legacy daemon left.
  for (const old of j.previousPublish ?? []) if (!now.has(old.id)) await unpublishContainer(j.root, j.target, old);
  for (const rec of j.publish) {
    try {
      await publishContainer(j.root, j.target, rec, j.previousPublish?.find((p) => p.id === rec.id));
      faultPoint('publishing');
    } catch (e) {
      const row = report.containers.find((r) => r.id === rec.id)!;
      row.skipped = `${rec.dir}: cannot write config.v2.json: ${(e as Error).message}`;
      report.findings.push({ severity: 'warning', file: rec.dir, message: `container ${row.name || rec.id} skipped: ${(e as Error).message}` });
    }
  }
  // The publish records stay: rollback and the next sync compare them with what is on disk.
  await writeJournal({
    ...j, state: 'done', report, recorded: j.desired ?? j.recorded, commit: undefined, desired: undefined, previousPublish: undefined,
    lastUpdated: await lastUpdatedOf(j.target),
  });
  return resumed ? { ...report, resumed: true } : report;
}

function samePublish(a: PublishRecord[], b: PublishRecord[]): boolean {
  const key = (r: PublishRecord) => `${r.id}|${r.config}|${r.hostConfig ?? ''}`;
  return a.map(key).sort().join('\n') === b.map(key).sort().join('\n');
}

/** What a sync changed, for the report. */
function syncSummary(prior: Prior, desired: Recorded, plan: CommitPlan, j: Journal, publish: PublishRecord[], report: MigrationReport): SyncSummary {
  const before = new Set(prior.recorded.layers.map((l) => l.cacheId)), after = new Set(desired.layers.map((l) => l.cacheId));
  const refs = (r: MigrationReport | undefined) => new Set((r?.images ?? []).flatMap((i) => i.refs.map((ref) => `${ref} ${i.imageId}`)));
  const oldRefs = refs(j.report as MigrationReport | undefined), newRefs = refs(report);
  const oldC = new Set(j.publish.map((p) => p.id)), newC = new Set(publish.map((p) => p.id));
  const adding = new Set(plan.add);
  return {
    layersAdded: [...after].filter((l) => !before.has(l)).length,
    layersRemoved: [...before].filter((l) => !after.has(l)).length,
    layersRewritten: [...after].filter((l) => before.has(l) && adding.has(l)).length,
    layersKept: [...after].filter((l) => before.has(l) && !adding.has(l)).length,
    containersAdded: [...newC].filter((c) => !oldC.has(c)).length,
    containersRemoved: [...oldC].filter((c) => !newC.has(c)).length,
    containersRewritten: desired.containers.filter((c) => oldC.has(c.id) && c.dirs.some((d) => adding.has(d))).length,
    refsAdded: [...newRefs].filter((r) => !oldRefs.has(r)).map((r) => r.split(' ')[0]!),
    refsRemoved: [...oldRefs].filter((r) => !newRefs.has(r)).map((r) => r.split(' ')[0]!),
  };
}
