// The data walk of one migration: discover → plan → checksum → configs → write → commit.
// Each stage lives in its own folder; this file only sequences them and collects the report.
import { cpus } from 'node:os';
import { discover } from './discover/index.js';
import { RootError, type V1Id } from './discover/records.js';
import { firstError, plan } from './plan/plan.js';
import { daemonsUsing } from './discover/daemons.js';
import { checksumStage } from './checksum/stage.js';
import { computeImages } from './configs/images.js';
import type { ChainID } from './lib/digest/digest.js';
import { createStaging, discardStaging, existingLayout, finishCommit, isEnvironmental, prepareCommit, refuseSymlinkedTarget } from './write/staging.js';
import { faultPoint, JOURNAL_NAME, readJournal, writeJournal, type Journal } from './write/journal.js';
import { promises as fsp } from 'node:fs';
import { writeLayout, type OwnedLayer } from './write/layout.js';
import { DiffWriter } from './write/diffs.js';
import { linkIdFor, lowersOf } from './write/overlay2.js';
import { verifyLayout } from './verify/layout.js';
import { changesSince } from './write/rollback.js';
import { planContainers } from './configs/containers.js';
import { discardContainerLayers, publishContainer, publishRecord, writeContainerLayers, type ContainerPlan } from './write/containers.js';
import type { Finding, MigrationReport, ProgressEvent } from './report/types.js';
import { nativeSummary } from './lib/native/native.js';

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

const now = () => performance.now() / 1000;

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
  const { legacy, driver } = await discover(root, opts.driver, { allowTagLoss: opts.allowTagLoss });
  const thePlan = plan(legacy);
  const refused = firstError(legacy);
  if (refused) throw refused;
  for (const f of legacy.findings) if (f.severity === 'warning') warn(f);
  if ((await existingLayout(target)) === 'data')
    throw new RootError(`${target}/image/overlay2`, 'the target already holds an overlay2 layout with layers or images; refusing to overwrite it');
  const tDiscover = now();

  const staging = await createStaging(target);
  // cacheId = v1Id (docs/formats.md): known before any DiffID, so diff dirs can be written early.
  const cacheIdOf = (v1Id: string) => v1Id;
  const diffs = new DiffWriter(staging, driver, cacheIdOf);
  // aufs diff dirs need nothing from the checksums: linking them starts now, beside the workers'
  // start-up, instead of after each layer's checksum (docs/performance.md).
  if (!driver.diffNeedsTarSplit) for (const l of thePlan.order) diffs.add(l.v1Id);
  let committing: Journal;
  try {
    emit({ kind: 'phase', phase: 'checksum' });
    emit({ kind: 'checksum-start', layers: thePlan.order.length });
    const { digests, reused } = await checksumStage(
      thePlan.order.map((l) => {
        return {
          v1Id: l.v1Id, tarData: l.tarData, fileRoot: driver.fileRoot(l.v1Id), source: driver.diffSource(l.v1Id, l.parent),
          pathBOut: `${staging.pathB}/${l.v1Id}.json.gz`, weight: l.layerSize ?? 0,
        };
      }),
      opts.workers ?? cpus().length,
      staging.checkpoints,
      {
        onBytes: (_id, bytes) => emit({ kind: 'bytes', bytes }),
        onDone: (d) => {
          diffs.add(d.v1Id, d.tarSplit);
          emit({ kind: 'layer-checksummed', v1Id: d.v1Id, diffId: d.diffId, path: d.path, seconds: d.seconds });
          if (d.path === 'B' && d.fallbackReason && legacy.layers.get(d.v1Id as V1Id)?.tarData)
            warn({ v1Id: d.v1Id, file: legacy.layers.get(d.v1Id as V1Id)!.tarData, message: `fell back to regenerating the tar (Path B): ${d.fallbackReason}` });
        },
      },
    );
    const tChecksum = now();
    faultPoint('checksummed');
    if (opts.strict) {
      const fell = thePlan.order.find((l) => l.tarData && digests.get(l.v1Id)?.path === 'B');
      if (fell) throw new RootError(fell.tarData!, `unusable (--strict): ${digests.get(fell.v1Id)!.fallbackReason!.replace(`${fell.tarData}: `, '')}`, fell.v1Id);
    }

    emit({ kind: 'phase', phase: 'configs' });
    const { configs, chainOf, owners, layers, images, mapping, refs, blobs } = computeImages(legacy, thePlan.order, digests);
    const tagsFile = legacy.tagsFile ?? `${root}/repositories-${legacy.driver}`;
    // discover refused (or dropped by name) every tag it could not keep: one lost here is a bug
    // that must not pass silently either.
    if (refs.skipped.length && !opts.allowTagLoss) throw new RootError(tagsFile, `tag(s) cannot be migrated: ${refs.skipped.map((s) => `${s.ref} (${s.reason})`).join('; ')}`);
    for (const s of refs.skipped) warn({ file: tagsFile, message: `tag ${s.ref} dropped (--allow-tag-loss): ${s.reason}` });
    // Overlay2 identity of each owned layer, parents first (order follows the plan).
    const owned = new Map<ChainID, OwnedLayer>();
    for (const [chainId, v1Id] of owners) {
      const l = legacy.layers.get(v1Id)!;
      const parentChain = l.parent ? chainOf.get(l.parent) : undefined;
      const parent = parentChain ? owned.get(parentChain) : undefined;
      const cacheId = cacheIdOf(v1Id);
      owned.set(chainId, {
        v1Id, chainId, parentChainId: parentChain, digest: digests.get(v1Id)!, cacheId, linkId: linkIdFor(cacheId),
        lowers: lowersOf(parent?.linkId, parent?.lowers), parentCacheId: parent?.cacheId,
      });
    }
    const { plans: containerPlans, rows: containers } = await planContainers(legacy, driver, { mapping, chainOf, owned, images }, warn);
    const tConfigs = now();

    emit({ kind: 'phase', phase: 'write' });
    const configBytes = new Map([...configs].map(([id, c]) => [id as string, c.bytes]));
    const mat = await writeLayout(staging, driver, diffs, [...owned.values()], images, configBytes, refs.repositories, blobs);
    const publish: ContainerPlan[] = [];
    let pseudoLinksLost = 0;
    for (const p of containerPlans) {
      const row = containers.find((r) => r.id === p.c.id)!;
      try {
        const r = await writeContainerLayers(staging, driver, p);
        Object.assign(row, { bytes: r.bytes, seconds: r.seconds });
        pseudoLinksLost += r.pseudoLinks;
        if (r.pseudoLinks) warn({ file: `${driver.fileRoot(p.c.id)}/.wh..wh.plnk`, message: `container ${p.c.name}: ${r.pseudoLinks} aufs pseudo-link(s) could not be kept` });
        publish.push(p);
      } catch (e) {
        await discardContainerLayers(staging, p.c.id);
        const err = e as NodeJS.ErrnoException;
        row.skipped = `${err.path ?? driver.fileRoot(p.c.id)}: ${err.code ?? err.message}`;
        warn({ file: String(err.path ?? driver.fileRoot(p.c.id)), message: `container ${p.c.name || p.c.id} skipped: ${err.code ?? err.message}` });
      }
    }
    emit({ kind: 'phase', phase: 'verify' });
    await verifyLayout(staging.imageRoot, staging.driverRoot);
    await prepareCommit(staging, target);
    const tWrite = now();
    const report: MigrationReport = {
      root, target, driver: legacy.driver, dryRun: false, layers, images, containers, reusedLayers: reused,
      refs: { migrated: refs.count, skipped: [...legacy.droppedTags, ...refs.skipped] },
      materialise: { files: mat.files, linked: mat.linked, cloned: mat.cloned, copied: mat.copied, whiteouts: mat.whiteouts, opaqueDirs: mat.opaqueDirs, droppedAufsMeta: mat.droppedMeta.length, pseudoLinksLost },
      findings,
      timings: { discover: tDiscover - t0, checksum: tChecksum - tDiscover, configs: tConfigs - tChecksum, write: tWrite - tConfigs, total: tWrite - t0 },
      engine: nativeSummary(),
      totals: {
        layers: layers.length, uniqueLayers: owned.size, images: images.length,
        bytes: layers.reduce((a, l) => a + l.bytes, 0), size: layers.reduce((a, l) => a + l.size, 0),
        pathA: layers.filter((l) => l.path === 'A').length, pathB: layers.filter((l) => l.path === 'B').length,
      },
      nextSteps: [
        `Set "storage-driver": "overlay2" in /etc/docker/daemon.json (${legacy.driver === 'vfs'
          ? 'dockerd ignores a leftover vfs/ dir, but naming the driver makes the choice explicit'
          : `while the legacy ${legacy.driver}/ dir is there, dockerd would otherwise refuse to start or pick ${legacy.driver}`}).`,
        `Check the store with \`cas-migrate verify --root ${target}\`, then upgrade and start dockerd; check \`docker images\` and run a container.`,
        `Once satisfied, the legacy data (graph/, ${legacy.driver}/, repositories-${legacy.driver}) can be moved aside; cas-migrate leaves it untouched.`,
      ],
    };
    committing = { version: 1, root, target, state: 'committing', publish: publish.map(publishRecord), report };
    await writeJournal(committing);
    faultPoint('committing');
  } catch (e) {
    await diffs.cancel();
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
