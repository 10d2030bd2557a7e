// The pre-1.10 medium: graph/<v1id>/ with the legacy driver's layer dirs. Its walk is Docker
// 1.10's: discover → plan → checksum (DiffIDs computed: Path A / Path B) → configs (v2 configs,
// ChainIDs, refs, container configs) → write (the overlay2 writer in src/write/).
import { cpus } from 'node:os';
import { discover } from '../discover/index.js';
import { RootError, type V1Id } from '../discover/records.js';
import { firstError, plan } from '../plan/plan.js';
import { checksumStage } from '../checksum/stage.js';
import { computeImages } from '../configs/images.js';
import type { ChainID } from '../lib/digest/digest.js';
import { faultPoint } from '../write/journal.js';
import { writeLayout, type OwnedLayer } from '../write/layout.js';
import { DiffWriter } from '../write/diffs.js';
import { linkIdFor, lowersOf } from '../write/overlay2.js';
import { planContainers } from '../configs/containers.js';
import { writeContainers, type ContainerPlan } from '../write/containers.js';
import { fileStamp } from '../write/sync.js';
import type { LayerDigest } from '../checksum/types.js';
import type { MigrationReport } from '../report/types.js';
import { nativeSummary } from '../lib/native/native.js';
import { now, type OpenedSource, type SourceContext } from './source.js';

export async function openGraph(ctx: SourceContext): Promise<OpenedSource> {
  const { root, target, opts, emit, warn, findings, t0, prior } = ctx;
  const { legacy, driver } = await discover(root, opts.driver, { allowTagLoss: opts.allowTagLoss, ours: ctx.ours });
  const thePlan = plan(legacy);
  const refused = firstError(legacy);
  if (refused) throw refused;
  for (const f of legacy.findings) if (f.severity === 'warning') warn(f);
  const tDiscover = now();
  let diffs: DiffWriter | undefined;

  const write: OpenedSource['write'] = async (staging) => {
    // cacheId = v1Id (docs/formats.md): known before any DiffID, so diff dirs can be written early.
    const cacheIdOf = (v1Id: string) => v1Id;
    diffs = new DiffWriter(staging, driver, cacheIdOf);
    // A sync keeps every layer whose inputs are unchanged: not read, not written again.
    const stamps = new Map(thePlan.order.map((l) => [l.v1Id as string, fileStamp([`${root}/graph/${l.v1Id}/json`, l.tarData, driver.fileRoot(l.v1Id)])]));
    const known = new Map<string, LayerDigest>();
    const kept = new Set<string>(); // layers whose overlay2 dir stays as the last pass wrote it
    for (const l of thePlan.order) {
      const r = prior?.layer(l.v1Id, stamps.get(l.v1Id)!, cacheIdOf(l.v1Id));
      const d = r?.digest ?? prior?.checksum(l.v1Id, stamps.get(l.v1Id)!);
      if (d) known.set(l.v1Id, d);
      if (r) kept.add(r.cacheId);
    }
    // aufs diff dirs need nothing from the checksums: linking them starts now, beside the workers'
    // start-up, instead of after each layer's checksum (docs/performance.md).
    if (!driver.diffNeedsTarSplit) for (const l of thePlan.order) if (!known.has(l.v1Id)) diffs.add(l.v1Id);
    emit({ kind: 'phase', phase: 'checksum' });
    emit({ kind: 'checksum-start', layers: thePlan.order.length });
    const { digests, reused } = await checksumStage(
      thePlan.order.map((l) => ({
        v1Id: l.v1Id, tarData: l.tarData, fileRoot: driver.fileRoot(l.v1Id), source: driver.diffSource(l.v1Id, l.parent),
        pathBOut: `${staging.pathB}/${l.v1Id}.json.gz`, weight: l.layerSize ?? 0,
      })),
      opts.workers ?? cpus().length,
      staging.checkpoints,
      {
        onBytes: (_id, bytes) => emit({ kind: 'bytes', bytes }),
        onDone: (d) => {
          diffs!.add(d.v1Id, d.tarSplit);
          emit({ kind: 'layer-checksummed', v1Id: d.v1Id, diffId: d.diffId, path: d.path, seconds: d.seconds });
          if (d.path === 'B' && d.fallbackReason && legacy.layers.get(d.v1Id as V1Id)?.tarData)
            warn({ v1Id: d.v1Id, file: legacy.layers.get(d.v1Id as V1Id)!.tarData, message: `fell back to regenerating the tar (Path B): ${d.fallbackReason}` });
        },
      },
      known,
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
    const { plans: containerPlans, rows: containers } = await planContainers(legacy, driver, { mapping, chainOf, owned, images }, warn, { online: ctx.online });
    for (const p of containerPlans) {
      const kept = prior?.container(p.c.id, p.stamp);
      Object.assign(p, { keep: !!kept, keptBytes: kept?.bytes });
    }
    const tConfigs = now();

    emit({ kind: 'phase', phase: 'write' });
    const configBytes = new Map([...configs].map(([id, c]) => [id as string, c.bytes]));
    const mat = await writeLayout(staging, driver, diffs, [...owned.values()], images, configBytes, refs.repositories, blobs, kept);
    const { publish, pseudoLinksLost } = await writeContainers(staging, driver, containerPlans, containers, warn);
    const tWrite = now();
    const report: MigrationReport = {
      root, target, driver: legacy.driver, medium: 'graph', dryRun: false, layers, images, containers, reusedLayers: reused,
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
      nextSteps: nextSteps(legacy.driver, target, `graph/, ${legacy.driver}/, repositories-${legacy.driver}`),
    };
    const ownedList = [...owned.values()];
    const ownerIds = new Set<string>(owners.values());
    return {
      report, publish, kept: new Set([...kept, ...publish.filter((p) => p.keep).flatMap(containerDirs)]),
      recorded: {
        layers: ownedList.map((l) => ({ id: l.v1Id, cacheId: l.cacheId, chainId: l.chainId, stamp: stamps.get(l.v1Id)!, digest: l.digest })),
        checksums: thePlan.order.filter((l) => !ownerIds.has(l.v1Id)).map((l) => ({ id: l.v1Id, stamp: stamps.get(l.v1Id)!, digest: digests.get(l.v1Id)! })),
        containers: publish.map((p) => ({ id: p.c.id, dirs: containerDirs(p), stamp: p.stamp, bytes: containers.find((r) => r.id === p.c.id)?.bytes })),
      },
      parents: parentsOf(ownedList, publish),
    };
  };
  return { write, cancel: async () => diffs?.cancel() };
}

const containerDirs = (p: ContainerPlan) => (p.initId ? [p.initId, p.mountId] : [p.mountId]);

/** Each overlay2 dir's parent dir: image layers, and a container's init and writable layers. */
export function parentsOf(owned: OwnedLayer[], publish: ContainerPlan[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>(owned.map((l) => [l.cacheId, l.parentCacheId]));
  for (const p of publish) {
    let parent = p.top.cacheId;
    for (const d of containerDirs(p)) {
      out.set(d, parent);
      parent = d;
    }
  }
  return out;
}

/** What the operator does after a migration of a root whose driver was `driver`. */
export function nextSteps(driver: string, target: string, legacyData: string): string[] {
  return [
    `Set "storage-driver": "overlay2" in /etc/docker/daemon.json (${driver === 'vfs'
      ? 'dockerd ignores a leftover vfs/ dir, but naming the driver makes the choice explicit'
      : `while the legacy ${driver}/ dir is there, dockerd would otherwise refuse to start or pick ${driver}`}).`,
    `Check the store with \`cas-migrate verify --root ${target}\`, then upgrade and start dockerd; check \`docker images\` and run a container.`,
    `Once satisfied, the legacy data (${legacyData}) can be moved aside; cas-migrate leaves it untouched.`,
  ];
}
