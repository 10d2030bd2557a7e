// Docker 20.10's metadata stores (formats.md §4.2–§4.6): layerdb, imagedb, distribution and
// repositories.json, with the exact bytes and modes dockerd writes.
import { chmodSync, copyFileSync, linkSync, renameSync, rmSync } from 'node:fs';
// Synchronous file calls: see files.ts.
import { hexOf, type ChainID, type Digest, type DiffID, type ImageID } from '../lib/digest/digest.js';
import { GoMap, GoStruct, marshal, type GoValue } from '../lib/gojson/encode.js';
import { mkdirMode, mkdirpMode, writeNew } from './files.js';

export interface LayerRecord {
  chainId: ChainID;
  diffId: DiffID;
  size: number;
  cacheId: string;
  parent?: ChainID;
  /** Tar-split file to place as tar-split.json.gz. */
  tarSplit: string;
  /**
   * move: ours (Path B, written in staging); copy: the legacy tar-data (Path A, byte for byte, never
   * sharing the legacy inode); link: the visible layout's own, for a layer a sync keeps (no copy).
   */
  place: 'move' | 'copy' | 'link';
}

export async function createStores(imageRoot: string): Promise<void> {
  await mkdirpMode(imageRoot, 0o700);
  for (const d of ['layerdb', 'imagedb', 'distribution']) await mkdirMode(`${imageRoot}/${d}`, 0o700);
  await mkdirMode(`${imageRoot}/layerdb/sha256`, 0o755);
  await mkdirMode(`${imageRoot}/layerdb/mounts`, 0o755);
  for (const d of ['content', 'metadata']) {
    await mkdirMode(`${imageRoot}/imagedb/${d}`, 0o700);
    await mkdirMode(`${imageRoot}/imagedb/${d}/sha256`, 0o700);
  }
}

export async function writeLayer(imageRoot: string, l: LayerRecord): Promise<void> {
  const dir = `${imageRoot}/layerdb/sha256/${hexOf(l.chainId)}`;
  await mkdirMode(dir, 0o700);
  await writeNew(`${dir}/diff`, l.diffId, 0o644);
  await writeNew(`${dir}/size`, String(l.size), 0o644);
  await writeNew(`${dir}/cache-id`, l.cacheId, 0o644);
  if (l.parent) await writeNew(`${dir}/parent`, l.parent, 0o644);
  const dest = `${dir}/tar-split.json.gz`;
  if (l.place === 'move') renameSync(l.tarSplit, dest);
  else if (l.place === 'link') return linkSync(l.tarSplit, dest); // already 0644: it is the layout's file
  else copyFileSync(l.tarSplit, dest);
  chmodSync(dest, 0o644);
}

export async function writeImage(imageRoot: string, imageId: ImageID, config: Buffer, parent?: ImageID): Promise<void> {
  const content = `${imageRoot}/imagedb/content/sha256/${hexOf(imageId)}`;
  // Two v1 images can yield the same config: the second Create is a no-op, SetParent overwrites.
  await writeNew(content, config, 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  if (!parent) return;
  const meta = `${imageRoot}/imagedb/metadata/sha256/${hexOf(imageId)}`;
  await mkdirMode(meta, 0o700).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  rmSync(`${meta}/parent`, { force: true });
  await writeNew(`${meta}/parent`, parent, 0o600);
}

/** v2metadata-by-diffid lists (1.13–20.10 struct order) and diffid-by-digest, per blob digest. */
export async function writeDistribution(imageRoot: string, byDiffId: Map<DiffID, Digest[]>): Promise<void> {
  if (byDiffId.size === 0) return;
  const root = `${imageRoot}/distribution`;
  for (const d of ['v2metadata-by-diffid', 'diffid-by-digest']) {
    await mkdirMode(`${root}/${d}`, 0o755);
    await mkdirMode(`${root}/${d}/sha256`, 0o755);
  }
  const written = new Set<string>();
  for (const [diffId, digests] of byDiffId) {
    const unique = digests.filter((d, i) => digests.lastIndexOf(d) === i).slice(-50);
    const list: GoValue[] = unique.map((d) => new GoStruct([['Digest', d], ['SourceRepository', ''], ['HMAC', '']]));
    await writeNew(`${root}/v2metadata-by-diffid/sha256/${hexOf(diffId)}`, marshal(list), 0o644);
    for (const d of unique) {
      if (written.has(d)) continue;
      written.add(d);
      await writeNew(`${root}/diffid-by-digest/sha256/${hexOf(d)}`, diffId, 0o644);
    }
  }
}

export async function writeRepositories(imageRoot: string, repos: Map<string, Map<string, ImageID>>): Promise<void> {
  const inner = new Map<string, GoValue>();
  for (const [name, refs] of repos) inner.set(name, new GoMap(new Map(refs)));
  const doc = marshal(new GoStruct([['Repositories', new GoMap(inner)]]));
  await writeNew(`${imageRoot}/repositories.json`, doc, 0o600);
}
