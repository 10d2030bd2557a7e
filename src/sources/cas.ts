// The CAS-era medium (Docker 1.10–23 on aufs, overlay or vfs): image/<driver>/ already holds
// DiffIDs, ChainIDs, configs and references, so nothing is computed and no ID changes. Its walk:
// read and check the store (src/cas/) → prove every layer (its tar-split reassembled over the
// driver's files must hash to the recorded DiffID: the checksum stage with no fallback) → write
// the overlay2 layer dirs under the same cache ids (the writer in src/write/) and carry the
// image store over byte for byte → containers under their mount ids, "Driver": "overlay2".
import { cpus } from 'node:os';
import { existsSync, promises as fsp } from 'node:fs';
import { copyTree } from '../lib/fs/copy.js';
import { RootError } from '../discover/records.js';
import { driverFor } from '../legacy-drivers/index.js';
import { casStoreOf } from '../cas/detect.js';
import { checksumStage } from '../checksum/stage.js';
import { readCasStore, type CasLayer } from '../cas/store.js';
import { readCasContainers } from '../cas/containers.js';
import type { ChainID, ImageID } from '../lib/digest/digest.js';
import { faultPoint } from '../write/journal.js';
import { writeLayers, type OwnedLayer } from '../write/layout.js';
import { writeRepositories } from '../write/metadata.js';
import { DiffWriter } from '../write/diffs.js';
import { linkIdFor, lowersOf } from '../write/overlay2.js';
import { writeContainers, type ContainerPlan } from '../write/containers.js';
import type { ContainerRow, ImageRow, LayerRow, MigrationReport } from '../report/types.js';
import { nativeSummary } from '../lib/native/native.js';
import { nextSteps, parentsOf } from './graph.js';
import { fileStamp, treeStamp } from '../write/sync.js';
import type { LayerDigest } from '../checksum/types.js';
import { now, type OpenedSource, type SourceContext } from './source.js';

export async function openCasStore(ctx: SourceContext): Promise<OpenedSource> {
  const { root, target, opts, emit, warn, findings, t0, prior } = ctx;
  const driverName = (await casStoreOf(root, opts.driver))!;
  const driver = driverFor(driverName, root);
  const store = await readCasStore(root, driver, opts.allowTagLoss ?? false);
  const refused = store.findings.find((f) => f.severity === 'error');
  if (refused) throw new RootError(refused.file ?? store.dir, refused.message, refused.v1Id);
  for (const f of store.findings) warn(f);
  if (existsSync(`${root}/graph`))
    warn({ file: `${root}/graph`, message: `left over from the in-place migration of Docker 1.10: not read (image/${driverName}/ holds this root's images since)` });
  const containers = await readCasContainers(store, driver, ctx.ours);
  const tDiscover = now();
  let diffs: DiffWriter | undefined;

  const write: OpenedSource['write'] = async (staging) => {
    // Cache ids are kept: a layer's overlay2 dir is named as its source dir, and every diff dir
    // can be written from the start, since the tar-split each needs is already stored.
    diffs = new DiffWriter(staging, driver, (cacheId) => cacheId);
    // A sync keeps every layer whose layerdb entry, tar-split and data dir are unchanged.
    const stamps = new Map(store.layers.map((l) => [l.cacheId, fileStamp([l.dir, l.tarSplit, driver.fileRoot(l.cacheId)])]));
    const known = new Map<string, LayerDigest>();
    for (const l of store.layers) {
      const r = prior?.layer(l.cacheId, stamps.get(l.cacheId)!, l.cacheId);
      if (r) known.set(l.cacheId, r.digest);
    }
    for (const l of store.layers) if (!known.has(l.cacheId)) diffs.add(l.cacheId, l.tarSplit);
    emit({ kind: 'phase', phase: 'checksum' });
    emit({ kind: 'checksum-start', layers: store.layers.length });
    const byCache = new Map(store.layers.map((l) => [l.cacheId, l]));
    const { digests, reused } = await checksumStage(
      store.layers.map((l) => ({
        v1Id: l.cacheId, tarData: l.tarSplit, fileRoot: driver.fileRoot(l.cacheId), source: { kind: 'dir', dir: driver.fileRoot(l.cacheId), excludeAufsMeta: true },
        pathBOut: `${staging.pathB}/${l.cacheId}.json.gz`, noFallback: true, weight: l.size,
      })),
      opts.workers ?? cpus().length, staging.checkpoints,
      {
        onBytes: (_id, bytes) => emit({ kind: 'bytes', bytes }),
        onDone: (d) => emit({ kind: 'layer-checksummed', v1Id: d.v1Id, diffId: d.diffId, path: d.path, seconds: d.seconds }),
      },
      known,
    );
    for (const d of digests.values()) {
      const l = byCache.get(d.v1Id)!;
      if (d.diffId !== l.diffId)
        throw new RootError(l.tarSplit, `reassembled over ${driver.fileRoot(l.cacheId)} it hashes to ${d.diffId}, not the recorded DiffID ${l.diffId} (${l.dir}/diff): the layer's files changed`, hexOfChain(l));
    }
    const tChecksum = now();
    faultPoint('checksummed');

    emit({ kind: 'phase', phase: 'write' });
    const owned = new Map<ChainID, OwnedLayer>();
    for (const l of store.layers) {
      const parent = l.parent ? owned.get(l.parent) : undefined;
      owned.set(l.chainId, {
        v1Id: l.cacheId as never, chainId: l.chainId, parentChainId: l.parent, cacheId: l.cacheId, linkId: linkIdFor(l.cacheId),
        // a kept layer's is the visible layout's copy (linked); the source's is never linked
        digest: { ...digests.get(l.cacheId)!, diffId: l.diffId, size: l.size, tarSplit: known.get(l.cacheId)?.tarSplit ?? l.tarSplit, path: 'A' },
        lowers: lowersOf(parent?.linkId, parent?.lowers), parentCacheId: parent?.cacheId,
      });
    }
    const kept = new Set(known.keys());
    const mat = await writeLayers(staging, driver, diffs, [...owned.values()], kept);
    // The image store as the source daemon left it: configs, parents, lastUpdated, distribution.
    for (const d of ['imagedb', 'distribution']) {
      if (!existsSync(`${store.dir}/${d}`)) continue;
      await fsp.rm(`${staging.imageRoot}/${d}`, { recursive: true, force: true });
      await copyTree(Buffer.from(`${store.dir}/${d}`), Buffer.from(`${staging.imageRoot}/${d}`)); // times to the ns, modes, owners
    }
    await writeRepositories(staging.imageRoot, store.repositories);

    const rows: ContainerRow[] = [];
    const plans: ContainerPlan[] = [];
    const refsOf = (id: ImageID) => [...store.repositories.values()].flatMap((m) => [...m].filter(([, v]) => v === id).map(([r]) => r));
    for (const c of containers) {
      const row: ContainerRow = { id: c.id, name: c.name, image: '', imageId: c.imageId ?? '', bytes: 0, seconds: 0, wasRunning: c.running, links: [] };
      rows.push(row);
      if (c.imageId) row.image = refsOf(c.imageId).find((r) => !r.includes('@')) ?? c.imageId;
      const top = c.parent ? owned.get(c.parent) : undefined;
      if (!c.problem && !top) c.problem = `${store.dir}/layerdb/mounts/${c.id}/parent: its image has no layers`;
      if (c.problem) {
        const at = c.problem.indexOf(': ');
        row.skipped = c.problem;
        warn({ file: c.problem.slice(0, at), message: `container ${c.name || c.id} skipped: ${c.problem.slice(at + 2)}` });
        continue;
      }
      if (c.running && ctx.online) {
        row.deferred = 'running: migrated by the pass after the legacy daemon stops';
        continue;
      }
      if (c.running) warn({ file: `${c.dir}/config.v2.json`, message: `container ${c.name} is marked running; dockerd will find it stopped` });
      const dirs = c.initId ? [c.initId, c.mountId!] : [c.mountId!];
      const stamp = treeStamp(dirs.map((d) => driver.containerSource(d).dir), [c.configFile]);
      const kept = prior?.container(c.id, stamp);
      plans.push({
        stamp, keep: !!kept, keptBytes: kept?.bytes,
        c: { id: c.id, name: c.name, dir: c.dir }, mountId: c.mountId!, initId: c.initId, imageTop: top!.cacheId, imageId: c.imageId!,
        topChainId: c.parent!, top: top!, config: c.config!, replacesConfig: true, links: [],
      });
    }
    const { publish: written, pseudoLinksLost } = await writeContainers(staging, driver, plans, rows, warn);
    // The source daemon owns config.v2.json while it runs (it rewrites it, and would skip a
    // container whose "Driver" is not its own): only a final pass publishes.
    const publish = ctx.online ? [] : written;
    const tWrite = now();
    const layers: LayerRow[] = store.layers.map((l) => {
      const d = digests.get(l.cacheId)!;
      return { v1Id: l.cacheId, diffId: l.diffId, chainId: l.chainId, size: l.size, path: 'A', bytes: d.bytes, seconds: d.seconds, cacheId: l.cacheId };
    });
    const images: ImageRow[] = [...store.images.values()].map((i) => ({ v1Id: '', imageId: i.id, layers: i.layers, refs: refsOf(i.id) }));
    const report: MigrationReport = {
      root, target, driver: driverName, medium: 'cas', dryRun: false, layers, images, containers: rows, reusedLayers: reused,
      refs: { migrated: [...store.repositories.values()].reduce((a, m) => a + m.size, 0), skipped: store.dropped },
      materialise: { files: mat.files, linked: mat.linked, cloned: mat.cloned, copied: mat.copied, whiteouts: mat.whiteouts, opaqueDirs: mat.opaqueDirs, droppedAufsMeta: mat.droppedMeta.length, pseudoLinksLost },
      findings,
      timings: { discover: tDiscover - t0, checksum: tChecksum - tDiscover, configs: 0, write: tWrite - tChecksum, total: tWrite - t0 },
      engine: nativeSummary(),
      totals: {
        layers: layers.length, uniqueLayers: layers.length, images: images.length,
        bytes: layers.reduce((a, l) => a + l.bytes, 0), size: layers.reduce((a, l) => a + l.size, 0), pathA: layers.length, pathB: 0,
      },
      nextSteps: nextSteps(driverName, target, `image/${driverName}/, ${driverName}/`),
    };
    const ownedList = [...owned.values()];
    const containerDirs = (p: ContainerPlan) => (p.initId ? [p.initId, p.mountId] : [p.mountId]);
    return {
      report, publish, kept: new Set([...kept, ...written.filter((p) => p.keep).flatMap(containerDirs)]),
      recorded: {
        layers: ownedList.map((l) => ({ id: l.cacheId, cacheId: l.cacheId, chainId: l.chainId, stamp: stamps.get(l.cacheId)!, digest: l.digest })),
        containers: written.map((p) => ({ id: p.c.id, dirs: containerDirs(p), stamp: p.stamp, bytes: rows.find((r) => r.id === p.c.id)?.bytes })),
      },
      parents: parentsOf(ownedList, written),
    };
  };
  return { write, cancel: async () => diffs?.cancel() };
}

const hexOfChain = (l: CasLayer): string => l.chainId.slice(7);
