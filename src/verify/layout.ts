// verify: an fsck of a Docker overlay2 image store (ours or dockerd's). Structural checks here
// collect every problem; verifyLayout, the gate before a migration's commit, stops at the first.
// What dockerd 20.10 would silently drop or fail on later must not be there (formats.md §4.11).
import { accessSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chainIdExtend, isDigest, verifyDigest, type ChainID, type Digest, type DiffID } from '../lib/digest/digest.js';

export interface Problem {
  file: string;
  message: string;
}

export class LayoutError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

/** A layer whose data the DiffID check can reassemble. */
export interface LayerToCheck {
  chainHex: string;
  diffId: string;
  tarSplit: string;
  diffDir: string;
}

export interface LayoutCheck {
  problems: Problem[];
  layers: LayerToCheck[];
  counts: { layers: number; images: number; mounts: number };
}

const HEX64 = /^[a-f0-9]{64}$/;
const MOUNT_ID = /^[a-f0-9]{64}(-init)?$/;

// Synchronous on purpose: the checks are a long sequence of tiny reads with nothing to overlap
// them with, and a thread-pool round trip each made the gate cost ~5 ms per layer.
function attempt<T>(f: () => T, otherwise: T): T {
  try {
    return f();
  } catch {
    return otherwise;
  }
}
const read = (p: string) => attempt<string | undefined>(() => readFileSync(p, 'utf8'), undefined);
const entries = (p: string) => attempt(() => readdirSync(p), [] as string[]);
const exists = (p: string) => attempt(() => (accessSync(p), true), false);
const isDir = (p: string, follow = false) => attempt(() => (follow ? statSync(p) : lstatSync(p)).isDirectory(), false);

export async function checkLayout(imageRoot: string, driverRoot: string): Promise<LayoutCheck> {
  const problems: Problem[] = [];
  const bad = (file: string, message: string) => void problems.push({ file, message });
  const layerRoot = `${imageRoot}/layerdb/sha256`;
  const chains = new Set(entries(layerRoot));
  const referenced = new Set<string>(); // overlay2 dirs some layer or mount uses
  const parents = new Set<string>(); // cache ids that have a child
  const toCheck: LayerToCheck[] = [];
  const cacheOf = new Map<string, string>();
  for (const hex of chains) {
    const dir = `${layerRoot}/${hex}`;
    if (!HEX64.test(hex)) {
      bad(dir, 'layer dir name is not a ChainID');
      continue;
    }
    const diff = read(`${dir}/diff`);
    if (diff === undefined || !isDigest(diff)) {
      bad(`${dir}/diff`, diff === undefined ? 'missing' : 'not a lower-case sha256 digest without newline');
      continue;
    }
    const size = read(`${dir}/size`);
    if (size === undefined || !/^\d+$/.test(size)) bad(`${dir}/size`, size === undefined ? 'missing' : 'not a bare decimal');
    const parent = read(`${dir}/parent`);
    if (parent !== undefined && !(isDigest(parent) && chains.has(parent.slice(7)))) bad(`${dir}/parent`, 'parent ChainID is not in the layer store');
    const parentChain = parent !== undefined && isDigest(parent) ? (parent as ChainID) : undefined;
    if (chainIdExtend(parentChain, diff as DiffID) !== `sha256:${hex}`) bad(dir, 'directory name is not the ChainID of parent + diff');
    const cacheId = (read(`${dir}/cache-id`))?.trim();
    if (!cacheId) {
      bad(`${dir}/cache-id`, 'missing or empty');
      continue;
    }
    cacheOf.set(hex, cacheId);
    referenced.add(cacheId);
    const cache = `${driverRoot}/${cacheId}`;
    if (!(isDir(`${cache}/diff`))) {
      bad(`${dir}/cache-id`, `no overlay2 dir ${cache}/diff`);
      continue;
    }
    const tarSplit = `${dir}/tar-split.json.gz`;
    if (exists(tarSplit)) toCheck.push({ chainHex: hex, diffId: diff, tarSplit, diffDir: `${cache}/diff` });
    else bad(tarSplit, 'missing');
    await checkLayerDir(driverRoot, cacheId, parentChain !== undefined, bad);
  }
  for (const hex of chains) {
    const parent = read(`${layerRoot}/${hex}/parent`);
    const p = parent && cacheOf.get(parent.slice(7));
    if (p) parents.add(p);
  }
  for (const p of parents) if (!(exists(`${driverRoot}/${p}/committed`))) bad(`${driverRoot}/${p}/committed`, 'missing in a layer that has a child');

  const mountRoot = `${imageRoot}/layerdb/mounts`;
  const mounts = entries(mountRoot);
  for (const name of mounts) {
    const dir = `${mountRoot}/${name}`;
    const mountId = (read(`${dir}/mount-id`))?.trim() ?? '';
    if (!MOUNT_ID.test(mountId)) bad(`${dir}/mount-id`, 'missing or not a mount id');
    else if (!(isDir(`${driverRoot}/${mountId}/diff`))) bad(`${dir}/mount-id`, `no overlay2 dir ${driverRoot}/${mountId}/diff`);
    else referenced.add(mountId);
    const initId = (read(`${dir}/init-id`))?.trim();
    if (initId !== undefined) {
      if (!MOUNT_ID.test(initId) || !(isDir(`${driverRoot}/${initId}/diff`))) bad(`${dir}/init-id`, `no overlay2 dir for ${initId}`);
      else referenced.add(initId);
    }
    const parent = read(`${dir}/parent`);
    if (parent !== undefined && !(isDigest(parent) && chains.has(parent.slice(7)))) bad(`${dir}/parent`, 'parent ChainID is not in the layer store');
  }

  const contentRoot = `${imageRoot}/imagedb/content/sha256`;
  const images = entries(contentRoot);
  for (const hex of images) {
    const p = `${contentRoot}/${hex}`;
    const bytes = readFileSync(p);
    if (!verifyDigest(bytes, `sha256:${hex}` as Digest)) {
      bad(p, 'content does not hash to its name');
      continue;
    }
    let diffIds: unknown;
    try {
      diffIds = (JSON.parse(bytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
    } catch {
      bad(p, 'config is not JSON');
      continue;
    }
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
      bad(p, 'config has no valid rootfs.diff_ids');
      continue;
    }
    let chain: ChainID | undefined;
    for (const d of diffIds as DiffID[]) chain = chainIdExtend(chain, d);
    if (chain && !chains.has(chain.slice(7))) bad(p, `its layers (ChainID ${chain}) are not in the layer store`);
  }

  for (const name of entries(driverRoot)) {
    if (name === 'l') continue;
    if (!referenced.has(name)) bad(`${driverRoot}/${name}`, 'orphan: no layer or mount refers to this overlay2 dir');
  }
  for (const link of entries(`${driverRoot}/l`)) {
    const target = attempt(() => readlinkSync(`${driverRoot}/l/${link}`), '');
    const m = /^\.\.\/([^/]+)\/diff$/.exec(target);
    if (!m || !(isDir(`${driverRoot}/${m[1]}/diff`))) bad(`${driverRoot}/l/${link}`, 'link does not point at a layer diff dir');
  }
  return { problems, layers: toCheck, counts: { layers: chains.size, images: images.length, mounts: mounts.length } };
}

async function checkLayerDir(driverRoot: string, cacheId: string, hasParent: boolean, bad: (file: string, message: string) => void): Promise<void> {
  const cache = `${driverRoot}/${cacheId}`;
  const link = read(`${cache}/link`);
  if (link === undefined) bad(`${cache}/link`, 'missing');
  else if (attempt(() => readlinkSync(`${driverRoot}/l/${link}`), '') !== `../${cacheId}/diff`) bad(`${driverRoot}/l/${link}`, 'link does not point at the layer');
  const lower = read(`${cache}/lower`);
  if ((lower !== undefined) !== hasParent) bad(`${cache}/lower`, hasParent ? 'missing on a layer with a parent' : 'present on a base layer');
  for (const l of lower?.split(':') ?? []) if (!/^l\/[A-Z0-9]+$/.test(l) || !(isDir(`${driverRoot}/${l}`, true))) bad(`${cache}/lower`, `${l} does not resolve`);
}

/** The gate before a migration's commit: the first structural problem stops it. */
export async function verifyLayout(imageRoot: string, driverRoot: string): Promise<LayoutCheck['counts']> {
  const r = await checkLayout(imageRoot, driverRoot);
  const first = r.problems[0];
  if (first) throw new LayoutError(first.file, first.message);
  return r.counts;
}
