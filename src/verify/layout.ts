// verify: structural checks of an overlay2 layout before it is made visible (and reusable on
// any overlay2 root): what dockerd 20.10 would silently drop must not be there (formats.md §4.11).
import { promises as fsp } from 'node:fs';
import { isDigest, verifyDigest, type Digest } from '../lib/digest/digest.js';

export class LayoutError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

const HEX64 = /^[a-f0-9]{64}$/;

async function text(p: string): Promise<string> {
  return fsp.readFile(p, 'utf8').catch(() => {
    throw new LayoutError(p, 'missing');
  });
}

async function isDir(p: string, follow = false): Promise<boolean> {
  return (await (follow ? fsp.stat(p) : fsp.lstat(p)).catch(() => undefined))?.isDirectory() ?? false;
}

/** Check imageRoot (image/overlay2) against driverRoot (overlay2). Returns counts checked. */
export async function verifyLayout(imageRoot: string, driverRoot: string): Promise<{ layers: number; images: number; mounts: number }> {
  const layerRoot = `${imageRoot}/layerdb/sha256`;
  const chains = new Set(await fsp.readdir(layerRoot));
  for (const hex of chains) {
    const dir = `${layerRoot}/${hex}`;
    if (!HEX64.test(hex)) throw new LayoutError(dir, 'layer dir name is not a ChainID');
    const diff = await text(`${dir}/diff`);
    if (!isDigest(diff)) throw new LayoutError(`${dir}/diff`, 'not a lower-case sha256 digest without newline');
    if (!/^\d+$/.test(await text(`${dir}/size`))) throw new LayoutError(`${dir}/size`, 'not a bare decimal');
    const parent = await fsp.readFile(`${dir}/parent`, 'utf8').catch(() => undefined);
    if (parent !== undefined && !(isDigest(parent) && chains.has(parent.slice(7)))) throw new LayoutError(`${dir}/parent`, 'parent ChainID is not in the layer store');
    const cacheId = await text(`${dir}/cache-id`);
    const cache = `${driverRoot}/${cacheId}`;
    if (!(await isDir(`${cache}/diff`))) throw new LayoutError(`${dir}/cache-id`, `no overlay2 dir ${cache}/diff`);
    await fsp.access(`${dir}/tar-split.json.gz`).catch(() => {
      throw new LayoutError(`${dir}/tar-split.json.gz`, 'missing');
    });
    const link = await text(`${cache}/link`);
    if ((await fsp.readlink(`${driverRoot}/l/${link}`).catch(() => '')) !== `../${cacheId}/diff`) throw new LayoutError(`${driverRoot}/l/${link}`, 'link does not point at the layer');
    const lower = await fsp.readFile(`${cache}/lower`, 'utf8').catch(() => undefined);
    if ((lower !== undefined) !== (parent !== undefined)) throw new LayoutError(`${cache}/lower`, parent ? 'missing on a layer with a parent' : 'present on a base layer');
    for (const l of lower?.split(':') ?? []) if (!/^l\/[A-Z2-7]{26}$/.test(l) || !(await isDir(`${driverRoot}/${l}`, true))) throw new LayoutError(`${cache}/lower`, `${l} does not resolve`);
  }
  const mountRoot = `${imageRoot}/layerdb/mounts`;
  const mounts = await fsp.readdir(mountRoot).catch(() => [] as string[]);
  for (const name of mounts) {
    const dir = `${mountRoot}/${name}`;
    const mountId = (await text(`${dir}/mount-id`)).trim();
    if (!/^[a-f0-9]{64}(-init)?$/.test(mountId)) throw new LayoutError(`${dir}/mount-id`, 'not a mount id');
    if (!(await isDir(`${driverRoot}/${mountId}/diff`))) throw new LayoutError(`${dir}/mount-id`, `no overlay2 dir ${driverRoot}/${mountId}/diff`);
    const initId = await fsp.readFile(`${dir}/init-id`, 'utf8').catch(() => undefined);
    if (initId !== undefined && !(await isDir(`${driverRoot}/${initId.trim()}/diff`))) throw new LayoutError(`${dir}/init-id`, `no overlay2 dir for ${initId}`);
    const parent = await fsp.readFile(`${dir}/parent`, 'utf8').catch(() => undefined);
    if (parent !== undefined && !(isDigest(parent) && chains.has(parent.slice(7)))) throw new LayoutError(`${dir}/parent`, 'parent ChainID is not in the layer store');
  }
  const contentRoot = `${imageRoot}/imagedb/content/sha256`;
  const images = await fsp.readdir(contentRoot);
  for (const hex of images) {
    const p = `${contentRoot}/${hex}`;
    if (!verifyDigest(await fsp.readFile(p), `sha256:${hex}` as Digest)) throw new LayoutError(p, 'content does not hash to its name');
  }
  return { layers: chains.size, images: images.length, mounts: mounts.length };
}
