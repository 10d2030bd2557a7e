// The data walk of one migration: discover → plan → checksum → configs → write → commit.
// Each stage lives in its own folder; this file only sequences them and collects the report.
import { cpus } from 'node:os';
import { discover } from './discover/index.js';
import { RootError, type V1Id } from './discover/records.js';
import { firstError, plan } from './plan/plan.js';
import { runChecksums } from './checksum/pool.js';
import { makeImageConfig, type ImageConfig } from './configs/image.js';
import { V1DecodeError } from './configs/v1image.js';
import { migrateRefs } from './configs/refs.js';
import { chainIdExtend, type ChainID, type Digest, type DiffID, type ImageID } from './lib/digest/digest.js';
import { createStaging, commitStaging, discardStaging, existingLayout } from './write/staging.js';
import { writeLayout, type OwnedLayer } from './write/layout.js';
import { linkIdFor, lowersOf } from './write/overlay2.js';
import { verifyLayout } from './verify/layout.js';
import { planContainers } from './configs/containers.js';
import { discardContainerLayers, publishContainer, writeContainerLayers, type ContainerPlan } from './write/containers.js';
import type { Finding, ImageRow, LayerRow, MigrationReport, ProgressEvent } from './report/types.js';

export interface MigrateOptions {
  root: string;
  target?: string;
  workers?: number;
  driver?: string;
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
  const { legacy, driver } = await discover(root, opts.driver);
  const thePlan = plan(legacy);
  const refused = firstError(legacy);
  if (refused) throw refused;
  if ((await existingLayout(target)) === 'data')
    throw new RootError(`${target}/image/overlay2`, 'the target already holds an overlay2 layout with layers or images; refusing to overwrite it');
  const tDiscover = now();

  const staging = await createStaging(target);
  try {
    emit({ kind: 'phase', phase: 'checksum' });
    emit({ kind: 'checksum-start', layers: thePlan.order.length });
    const digests = await runChecksums(
      thePlan.order.map((l) => {
        const source = driver.diffSource(l.v1Id);
        return {
          v1Id: l.v1Id, tarData: l.tarData, fileRoot: driver.fileRoot(l.v1Id), diffDir: source.dir,
          excludeAufsMeta: source.excludeAufsMeta, pathBOut: `${staging.pathB}/${l.v1Id}.json.gz`, weight: l.layerSize ?? 0,
        };
      }),
      opts.workers ?? cpus().length,
      {
        onBytes: (_id, bytes) => emit({ kind: 'bytes', bytes }),
        onDone: (d) => {
          emit({ kind: 'layer-checksummed', v1Id: d.v1Id, diffId: d.diffId, path: d.path, seconds: d.seconds });
          if (d.path === 'B' && d.fallbackReason && legacy.layers.get(d.v1Id as V1Id)?.tarData)
            warn({ v1Id: d.v1Id, file: legacy.layers.get(d.v1Id as V1Id)!.tarData, message: `fell back to regenerating the tar (Path B): ${d.fallbackReason}` });
        },
      },
    );
    const tChecksum = now();

    emit({ kind: 'phase', phase: 'configs' });
    const configs = new Map<V1Id, ImageConfig>();
    const chainOf = new Map<V1Id, ChainID>();
    const owned = new Map<ChainID, OwnedLayer>();
    const layers: LayerRow[] = [];
    const images: ImageRow[] = [];
    const mapping = new Map<string, ImageID>();
    const blobs = new Map<DiffID, Digest[]>();
    for (const l of thePlan.order) {
      const d = digests.get(l.v1Id)!;
      const diffId = d.diffId as DiffID;
      const parentConfig = l.parent ? configs.get(l.parent) : undefined;
      let cfg: ImageConfig;
      try {
        cfg = makeImageConfig(l.json, diffId, parentConfig);
      } catch (e) {
        if (e instanceof V1DecodeError) throw new RootError(`${root}/graph/${l.v1Id}/json`, e.message, l.v1Id);
        throw e;
      }
      configs.set(l.v1Id, cfg);
      const parentChain = l.parent ? chainOf.get(l.parent) : undefined;
      const chainId = chainIdExtend(parentChain, diffId);
      chainOf.set(l.v1Id, chainId);
      const row: LayerRow = { v1Id: l.v1Id, diffId, chainId, size: d.size, path: d.path, fallbackReason: d.fallbackReason, bytes: d.bytes, seconds: d.seconds };
      const owner = owned.get(chainId);
      if (owner) row.sameAs = owner.v1Id;
      else {
        const parent = parentChain ? owned.get(parentChain) : undefined;
        const cacheId = l.v1Id; // Docker 1.10's migration used the v1 id as cache-id
        const linkId = linkIdFor(cacheId);
        owned.set(chainId, {
          v1Id: l.v1Id, chainId, parentChainId: parentChain, digest: d, cacheId, linkId,
          lowers: lowersOf(parent?.linkId, parent?.lowers), parentCacheId: parent?.cacheId,
        });
        row.cacheId = cacheId;
      }
      layers.push(row);
      mapping.set(l.v1Id, cfg.imageId);
      images.push({ v1Id: l.v1Id, imageId: cfg.imageId, parentImageId: parentConfig?.imageId, layers: cfg.diffIds.length, refs: [] });
      // v2 metadata only where the DiffID really is the pulled blob's content (Path A, §3.8).
      if (l.checksum && d.path === 'A') blobs.set(diffId, [...(blobs.get(diffId) ?? []), l.checksum]);
    }
    const refs = migrateRefs(legacy.tags, mapping);
    for (const s of refs.skipped) warn({ file: `${root}/repositories-${legacy.driver}`, message: `tag ${s.ref} skipped: ${s.reason}` });
    // Two v1 images with identical config and chain share one image ID: both rows show its refs.
    for (const repo of refs.repositories.values()) for (const [ref, id] of repo) for (const i of images) if (i.imageId === id) i.refs.push(ref);
    const { plans: containerPlans, rows: containers } = await planContainers(legacy, driver, { mapping, chainOf, owned, images }, warn);
    const tConfigs = now();

    emit({ kind: 'phase', phase: 'write' });
    const configBytes = new Map([...configs].map(([id, c]) => [id as string, c.bytes]));
    const mat = await writeLayout(staging, driver, [...owned.values()], images, configBytes, refs.repositories, blobs);
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
    emit({ kind: 'phase', phase: 'commit' });
    await commitStaging(staging, target);
    for (const p of publish) {
      try {
        await publishContainer(root, target, p);
      } catch (e) {
        const row = containers.find((r) => r.id === p.c.id)!;
        row.skipped = `${p.c.dir}: cannot write config.v2.json: ${(e as Error).message}`;
        warn({ file: p.c.dir, message: `container ${p.c.name} skipped: ${(e as Error).message}` });
      }
    }
    const tWrite = now();

    return {
      root, target, driver: legacy.driver, dryRun: false, layers, images, containers,
      refs: { migrated: refs.count, skipped: refs.skipped },
      materialise: { files: mat.files, linked: mat.linked, copied: mat.copied, whiteouts: mat.whiteouts, opaqueDirs: mat.opaqueDirs, droppedAufsMeta: mat.droppedMeta.length, pseudoLinksLost },
      findings,
      timings: { discover: tDiscover - t0, checksum: tChecksum - tDiscover, configs: tConfigs - tChecksum, write: tWrite - tConfigs, total: tWrite - t0 },
      totals: {
        layers: layers.length, uniqueLayers: owned.size, images: images.length,
        bytes: layers.reduce((a, l) => a + l.bytes, 0), size: layers.reduce((a, l) => a + l.size, 0),
        pathA: layers.filter((l) => l.path === 'A').length, pathB: layers.filter((l) => l.path === 'B').length,
      },
      nextSteps: [
        `Set "storage-driver": "overlay2" in /etc/docker/daemon.json (the legacy ${legacy.driver}/ dir would otherwise make dockerd pick ${legacy.driver}).`,
        'Upgrade and start dockerd, then check `docker images` and run a container.',
        `Once satisfied, the legacy data (graph/, ${legacy.driver}/, repositories-${legacy.driver}) can be removed; cas-migrate leaves it untouched.`,
      ],
    };
  } catch (e) {
    await discardStaging(staging);
    throw e;
  }
}
