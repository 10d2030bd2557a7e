// The write stage: every owned layer's overlay2 dir (its diff materialised by the legacy driver,
// mostly while the checksum stage ran: diffs.ts), then layerdb, imagedb, distribution and
// repositories.json, all inside the staging dir.
import type { V1Id } from '../discover/records.js';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import type { LayerDigest } from '../checksum/types.js';
import type { ImageRow } from '../report/types.js';
import type { ChainID, Digest, DiffID, ImageID } from '../lib/digest/digest.js';
import type { DiffWriter } from './diffs.js';
import { createStores, writeDistribution, writeImage, writeLayer, writeRepositories } from './metadata.js';
import { finishLayerDir } from './overlay2.js';
import type { Staging } from './staging.js';

/** A layer whose ChainID this v1 layer owns (the first in migration order). */
export interface OwnedLayer {
  v1Id: V1Id;
  chainId: ChainID;
  parentChainId?: ChainID;
  digest: LayerDigest;
  cacheId: string;
  linkId: string;
  lowers: string[];
  parentCacheId?: string;
}

/** The layer store and the image store: everything a source computed, in the staging dir. */
export async function writeLayout(
  staging: Staging,
  driver: LegacyDriver,
  diffs: DiffWriter,
  owned: OwnedLayer[],
  images: ImageRow[],
  configBytes: Map<string, Buffer>,
  repositories: Map<string, Map<string, ImageID>>,
  blobs: Map<DiffID, Digest[]>,
  kept: Set<string> = new Set(),
) {
  const total = await writeLayers(staging, driver, diffs, owned, kept);
  for (const img of images) await writeImage(staging.imageRoot, img.imageId as ImageID, configBytes.get(img.v1Id)!, img.parentImageId as ImageID | undefined);
  await writeDistribution(staging.imageRoot, blobs);
  await writeRepositories(staging.imageRoot, repositories);
  return total;
}

/** Every owned layer's overlay2 dir and layerdb entry (and the stores' empty dirs). */
export async function writeLayers(staging: Staging, driver: LegacyDriver, diffs: DiffWriter, owned: OwnedLayer[], kept: Set<string>) {
  const total = { files: 0, linked: 0, cloned: 0, copied: 0, whiteouts: 0, opaqueDirs: 0, droppedMeta: [] as Array<{ v1Id: string; file: string }> };
  // Most diff dirs were written during the checksum stage (diffs.ts); take() waits for them.
  await diffs.dropAllBut(new Set(owned.map((l) => l.v1Id)));
  for (const l of owned) {
    if (kept.has(l.cacheId)) continue; // a sync's unchanged layer: its dir stays where it is
    const s = await diffs.take(l.v1Id, l.digest.tarSplit);
    total.files += s.files;
    total.linked += s.linked;
    total.cloned += s.cloned;
    total.copied += s.copied;
    total.whiteouts += s.whiteouts;
    total.opaqueDirs += s.opaqueDirs;
    for (const m of s.droppedMeta) total.droppedMeta.push({ v1Id: l.v1Id, file: `${driver.fileRoot(l.v1Id)}/${m}` });
  }
  await createStores(staging.imageRoot);
  for (const l of owned) {
    if (!kept.has(l.cacheId))
      await finishLayerDir(staging.driverRoot, { cacheId: l.cacheId, linkId: l.linkId, parentCacheId: l.parentCacheId }, l.lowers);
    await writeLayer(staging.imageRoot, {
      chainId: l.chainId, diffId: l.digest.diffId as DiffID, size: l.digest.size, cacheId: l.cacheId, parent: l.parentChainId,
      tarSplit: l.digest.tarSplit, place: kept.has(l.cacheId) ? 'link' : l.digest.path === 'B' ? 'move' : 'copy',
    });
  }
  return total;
}
