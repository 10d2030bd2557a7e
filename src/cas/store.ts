// A CAS-era store (Docker 1.10–23): image/<driver>/ with layerdb, imagedb, repositories.json,
// distribution and container mounts, over the driver's dirs named by cache ids. Read into plain
// records and checked for what dockerd itself relies on — every ChainID is its parent's plus its
// DiffID, every image config hashes to its ID and finds its layers, every reference names an
// image, every layer has its data and its tar-split — so that a broken store stops the migration
// naming the file (formats.md "CAS-era roots"). Reads only.
import { lstatSync, promises as fsp, readFileSync } from 'node:fs';
import { chainIdExtend, hexOf, isDigest, sha256Digest, type ChainID, type DiffID, type ImageID } from '../lib/digest/digest.js';
import type { Finding } from '../discover/records.js';
import type { LegacyDriver } from '../legacy-drivers/driver.js';

export interface CasLayer {
  chainId: ChainID;
  diffId: DiffID;
  parent?: ChainID;
  cacheId: string;
  /** The size file's number (regular-file payload bytes). */
  size: number;
  /** layerdb/sha256/<hex>/ */
  dir: string;
  tarSplit: string;
}

export interface CasImage {
  id: ImageID;
  /** ChainID of its top layer; undefined for an image without layers. */
  top?: ChainID;
  layers: number;
}

export interface CasMount {
  mountId: string;
  initId?: string;
  parent?: ChainID;
}

export interface CasStore {
  root: string;
  driver: string;
  /** image/<driver> */
  dir: string;
  /** Parents before children. */
  layers: CasLayer[];
  images: Map<ImageID, CasImage>;
  /** name → reference → image ID, as repositories.json holds them (already validated). */
  repositories: Map<string, Map<string, ImageID>>;
  dropped: Array<{ ref: string; reason: string }>;
  mounts: Map<string, CasMount>;
  findings: Finding[];
}

const HEX64 = /^[a-f0-9]{64}$/;
const CACHE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const list = async (p: string) => (await fsp.readdir(p).catch(() => [] as string[])).sort();
const readText = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** Whether image/<driver>/ holds a store a daemon used (layers or images), not just the empty one dockerd 20.10 leaves on a legacy root. */
export async function hasCasData(root: string, driver: string): Promise<boolean> {
  return (await list(`${root}/image/${driver}/layerdb/sha256`)).length > 0 || (await list(`${root}/image/${driver}/imagedb/content/sha256`)).length > 0;
}

export async function readCasStore(root: string, driver: LegacyDriver, allowTagLoss: boolean): Promise<CasStore> {
  const dir = `${root}/image/${driver.name}`;
  const findings: Finding[] = [];
  const error = (file: string, message: string, id?: string) => findings.push({ severity: 'error', file, message, v1Id: id });
  const store: CasStore = { root, driver: driver.name, dir, layers: [], images: new Map(), repositories: new Map(), dropped: [], mounts: new Map(), findings };

  // layerdb: read every layer, then order parents first and check each ChainID.
  const raw = new Map<string, CasLayer>();
  for (const hex of await list(`${dir}/layerdb/sha256`)) {
    const ldir = `${dir}/layerdb/sha256/${hex}`;
    if (!HEX64.test(hex)) {
      if (hex !== 'tmp') error(ldir, 'not a layer: the name is not 64 hex digits');
      continue;
    }
    const diff = readText(`${ldir}/diff`), cacheId = readText(`${ldir}/cache-id`), size = readText(`${ldir}/size`), parent = readText(`${ldir}/parent`);
    if (diff === undefined || !isDigest(diff)) {
      error(`${ldir}/diff`, diff === undefined ? 'missing' : `not a sha256 DiffID: ${JSON.stringify(diff.slice(0, 80))}`);
      continue;
    }
    if (cacheId === undefined || !CACHE_ID.test(cacheId)) {
      error(`${ldir}/cache-id`, cacheId === undefined ? 'missing' : `not a cache id: ${JSON.stringify(cacheId.slice(0, 80))}`);
      continue;
    }
    if (parent !== undefined && !isDigest(parent)) {
      error(`${ldir}/parent`, `not a sha256 ChainID: ${JSON.stringify(parent.slice(0, 80))}`);
      continue;
    }
    if (size === undefined || !/^\d+$/.test(size)) {
      error(`${ldir}/size`, size === undefined ? 'missing' : `not a size: ${JSON.stringify(size.slice(0, 80))}`);
      continue;
    }
    const tarSplit = `${ldir}/tar-split.json.gz`;
    if (!lstatSync(tarSplit, { throwIfNoEntry: false })?.isFile()) {
      error(tarSplit, 'missing: without it the layer cannot be proven against its DiffID', hex);
      continue;
    }
    if (!(await driver.has(cacheId))) {
      error(driver.fileRoot(cacheId), 'layer data directory is missing', hex);
      continue;
    }
    raw.set(`sha256:${hex}`, { chainId: `sha256:${hex}` as ChainID, diffId: diff as DiffID, parent: parent as ChainID | undefined, cacheId, size: Number(size), dir: ldir, tarSplit });
  }
  const placed = new Set<string>();
  const place = (l: CasLayer, seen: Set<string>): boolean => {
    if (placed.has(l.chainId)) return true;
    if (seen.has(l.chainId)) {
      error(`${l.dir}/parent`, 'the parent chain contains a cycle');
      return false;
    }
    seen.add(l.chainId);
    if (l.parent) {
      const p = raw.get(l.parent);
      if (!p) {
        error(`${l.dir}/parent`, `parent ${l.parent} is not in the layer store`);
        return false;
      }
      if (!place(p, seen)) return false;
    }
    const want = chainIdExtend(l.parent, l.diffId);
    if (want !== l.chainId) {
      error(`${l.dir}/diff`, `the ChainID of parent ${l.parent ?? '(none)'} and DiffID ${l.diffId} is ${want}, not the layer's ${l.chainId}`);
      return false;
    }
    placed.add(l.chainId);
    store.layers.push(l);
    return true;
  };
  for (const l of raw.values()) place(l, new Set());
  const layerOf = new Map(store.layers.map((l) => [l.chainId as string, l]));

  // imagedb: configs hash to their names and find their layer chains.
  for (const hex of await list(`${dir}/imagedb/content/sha256`)) {
    const file = `${dir}/imagedb/content/sha256/${hex}`;
    const bytes = await fsp.readFile(file);
    if (!HEX64.test(hex) || sha256Digest(bytes) !== `sha256:${hex}`) {
      error(file, `the config does not hash to its name (sha256 ${hexOf(sha256Digest(bytes))})`);
      continue;
    }
    let diffIds: unknown;
    try {
      diffIds = (JSON.parse(bytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids ?? [];
    } catch (e) {
      error(file, `invalid JSON: ${(e as Error).message}`);
      continue;
    }
    if (!Array.isArray(diffIds) || !diffIds.every((d): d is DiffID => typeof d === 'string' && isDigest(d))) {
      error(file, 'rootfs.diff_ids is not a list of sha256 DiffIDs');
      continue;
    }
    let top: ChainID | undefined;
    for (const d of diffIds) top = chainIdExtend(top, d);
    if (top && !layerOf.has(top)) {
      error(file, `its top layer ${top} is not in the layer store (or is broken)`);
      continue;
    }
    store.images.set(`sha256:${hex}` as ImageID, { id: `sha256:${hex}` as ImageID, top, layers: diffIds.length });
  }

  // repositories.json: every reference must name an image that is there.
  const reposFile = `${dir}/repositories.json`;
  const text = readText(reposFile);
  if (text !== undefined) {
    let doc: { Repositories?: Record<string, Record<string, unknown>> };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      error(reposFile, `invalid JSON: ${(e as Error).message}`);
      doc = {};
    }
    for (const [name, refs] of Object.entries(doc.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(refs ?? {})) {
        if (typeof id === 'string' && isDigest(id) && store.images.has(id as ImageID)) {
          const m = store.repositories.get(name) ?? new Map<string, ImageID>();
          store.repositories.set(name, m.set(ref, id as ImageID));
        } else store.dropped.push({ ref, reason: typeof id === 'string' ? `names image ${id}, which is not in the image store` : 'does not map to an image ID' });
      }
    }
    if (store.dropped.length) {
      const list = store.dropped.map((d) => `${d.ref} (${d.reason})`).join('; ');
      findings.push({
        severity: allowTagLoss ? 'warning' : 'error', file: reposFile,
        message: allowTagLoss ? `${store.dropped.length} tag(s) dropped (--allow-tag-loss): ${list}`
          : `${store.dropped.length} tag(s) cannot be migrated: ${list}; fix the file, or pass --allow-tag-loss to migrate without them`,
      });
    }
  }

  // mounts: a container's layers by their driver ids.
  for (const id of await list(`${dir}/layerdb/mounts`)) {
    const m = `${dir}/layerdb/mounts/${id}`;
    const mountId = readText(`${m}/mount-id`), initId = readText(`${m}/init-id`), parent = readText(`${m}/parent`);
    if (!mountId || !CACHE_ID.test(mountId) || (initId !== undefined && !CACHE_ID.test(initId)) || (parent !== undefined && parent !== '' && !isDigest(parent))) continue; // the container is skipped, naming this
    store.mounts.set(id, { mountId, initId: initId || undefined, parent: parent ? (parent as ChainID) : undefined });
  }
  return store;
}
