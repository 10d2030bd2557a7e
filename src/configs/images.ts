// The configs stage for images: in migration order, each v1 image's config and image ID, each
// layer's ChainID and which v1 layer owns it (the first), the references, and the v2 metadata.
import { RootError, type LegacyRoot, type V1Id, type LegacyLayer } from '../discover/records.js';
import type { LayerDigest } from '../checksum/types.js';
import { chainIdExtend, type ChainID, type Digest, type DiffID, type ImageID } from '../lib/digest/digest.js';
import type { ImageRow, LayerRow } from '../report/types.js';
import { makeImageConfig, type ImageConfig } from './image.js';
import { V1DecodeError } from './v1image.js';
import { migrateRefs, type RefsResult } from './refs.js';

export interface ImagesResult {
  configs: Map<V1Id, ImageConfig>;
  chainOf: Map<string, ChainID>;
  /** ChainID → the v1 layer that owns its data. */
  owners: Map<ChainID, V1Id>;
  layers: LayerRow[];
  images: ImageRow[];
  mapping: Map<string, ImageID>;
  refs: RefsResult;
  /** v2 metadata (blob digests per DiffID), Path A layers only. */
  blobs: Map<DiffID, Digest[]>;
}

export function computeImages(legacy: LegacyRoot, order: LegacyLayer[], digests: Map<string, LayerDigest>): ImagesResult {
  const r: ImagesResult = { configs: new Map(), chainOf: new Map(), owners: new Map(), layers: [], images: [], mapping: new Map(), refs: undefined!, blobs: new Map() };
  for (const l of order) {
    const d = digests.get(l.v1Id)!;
    const diffId = d.diffId as DiffID;
    const parentConfig = l.parent ? r.configs.get(l.parent) : undefined;
    let cfg: ImageConfig;
    try {
      cfg = makeImageConfig(l.json, diffId, parentConfig);
    } catch (e) {
      if (e instanceof V1DecodeError) throw new RootError(`${legacy.root}/graph/${l.v1Id}/json`, e.message, l.v1Id);
      throw e;
    }
    r.configs.set(l.v1Id, cfg);
    const chainId = chainIdExtend(l.parent ? r.chainOf.get(l.parent) : undefined, diffId);
    r.chainOf.set(l.v1Id, chainId);
    const row: LayerRow = { v1Id: l.v1Id, diffId, chainId, size: d.size, path: d.path, fallbackReason: d.fallbackReason, bytes: d.bytes, seconds: d.seconds };
    const owner = r.owners.get(chainId);
    if (owner) row.sameAs = owner;
    else {
      r.owners.set(chainId, l.v1Id);
      row.cacheId = l.v1Id; // Docker 1.10's migration used the v1 id as cache-id
    }
    r.layers.push(row);
    r.mapping.set(l.v1Id, cfg.imageId);
    r.images.push({ v1Id: l.v1Id, imageId: cfg.imageId, parentImageId: parentConfig?.imageId, layers: cfg.diffIds.length, refs: [] });
    // v2 metadata only where the DiffID really is the pulled blob's content (Path A, §3.8).
    if (l.checksum && d.path === 'A') r.blobs.set(diffId, [...(r.blobs.get(diffId) ?? []), l.checksum]);
  }
  r.refs = migrateRefs(legacy.tags, r.mapping);
  // Two v1 images with identical config and chain share one image ID: both rows show its refs.
  for (const repo of r.refs.repositories.values()) for (const [ref, id] of repo) for (const i of r.images) if (i.imageId === id) i.refs.push(ref);
  return r;
}
