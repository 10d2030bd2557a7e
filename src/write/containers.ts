// Stopped containers (formats.md §4.3, §6.2): the init and RW layers become overlay2 dirs
// "<id>-init" and "<id>" on top of the image's top layer, with layerdb/mounts/<id>. Their data is
// copied: a container writes in place and must never change the legacy copy. config.v2.json and
// a rebuilt hostconfig.json are written only after the layout is visible (publishContainers).
import { constants, lstatSync, promises as fsp } from 'node:fs';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import type { LegacyContainer } from '../discover/containers.js';
import type { ChainID, ImageID } from '../lib/digest/digest.js';
import { mkdirMode, writeNew } from './files.js';
import { setTimes } from '../lib/fs/times.js';
import { copyTree } from '../lib/fs/copy.js';
import { finishLayerDir, linkIdFor, lowersOf, MAX_LOWERS } from './overlay2.js';
import type { OwnedLayer } from './layout.js';
import type { Staging } from './staging.js';
import type { PublishRecord } from './journal.js';
import type { ContainerRow, Finding } from '../report/types.js';

export interface ContainerPlan {
  c: Pick<LegacyContainer, 'id' | 'name' | 'dir'>;
  /** The overlay2 dirs of its writable and init layers (the source driver's ids: legacy roots use the container id). */
  mountId: string;
  initId?: string;
  /** The source driver's id of the image's top layer (a vfs/btrfs init layer is diffed against it). */
  imageTop: string;
  imageId: ImageID;
  topChainId: ChainID;
  top: Pick<OwnedLayer, 'cacheId' | 'linkId' | 'lowers'>;
  config: Buffer;
  /** config.v2.json already exists (a CAS-era root): the original is kept as config.v2.json.pre-cas-migrate. */
  replacesConfig?: boolean;
  /** The stamp of its layers and config files (write/sync.ts). */
  stamp: string;
  /** A sync found it unchanged: its overlay2 dirs stay, only its mount record is written. */
  keep?: boolean;
  /** With keep: the writable bytes the pass that wrote it copied. */
  keptBytes?: number;
  /** New hostconfig.json bytes when Links were rebuilt from linkgraph.db. */
  hostConfig?: Buffer;
  links: string[];
}

export interface ContainerWriteResult {
  bytes: number;
  pseudoLinks: number;
  seconds: number;
}

/** Write one container's layers and mount record into staging. Throws with the file at fault. */
export async function writeContainerLayers(staging: Staging, driver: LegacyDriver, p: ContainerPlan): Promise<ContainerWriteResult> {
  const t0 = performance.now();
  const id = p.c.id;
  const topLowers = lowersOf(p.top.linkId, p.top.lowers);
  if (topLowers.length + (p.initId ? 1 : 0) > MAX_LOWERS) throw new Error(`the image has ${p.top.lowers.length + 1} layers; overlay2 mounts at most ${MAX_LOWERS} lower layers`);
  let bytes = 0, pseudoLinks = 0;
  let parent = { cacheId: p.top.cacheId, linkId: p.top.linkId, lowers: p.top.lowers };
  const layers = p.initId ? [p.initId, p.mountId] : [p.mountId];
  let legacyParent = p.imageTop;
  for (const cacheId of p.keep ? [] : layers) {
    const dir = `${staging.driverRoot}/${cacheId}`;
    await mkdirMode(dir, 0o710);
    const s = await driver.materialise(cacheId, `${dir}/diff`, 'copy', { parent: legacyParent });
    legacyParent = cacheId;
    bytes += s.copiedBytes;
    pseudoLinks += s.pseudoLinks;
    const lowers = lowersOf(parent.linkId, parent.lowers);
    const linkId = linkIdFor(cacheId);
    await finishLayerDir(staging.driverRoot, { cacheId, linkId, parentCacheId: parent.cacheId }, lowers);
    parent = { cacheId, linkId, lowers };
  }
  const mounts = `${staging.imageRoot}/layerdb/mounts/${id}`;
  await mkdirMode(mounts, 0o755);
  await writeNew(`${mounts}/mount-id`, p.mountId, 0o644);
  if (p.initId) await writeNew(`${mounts}/init-id`, p.initId, 0o644);
  await writeNew(`${mounts}/parent`, p.topChainId, 0o644);
  return { bytes, pseudoLinks, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Write every planned container; one that fails is discarded and skipped by name (its row says
 * why), the others go on. Returns the containers to publish.
 */
export async function writeContainers(
  staging: Staging, driver: LegacyDriver, plans: ContainerPlan[], rows: ContainerRow[], warn: (f: Omit<Finding, 'severity'>) => void,
): Promise<{ publish: ContainerPlan[]; pseudoLinksLost: number }> {
  const publish: ContainerPlan[] = [];
  let pseudoLinksLost = 0;
  for (const p of plans) {
    const row = rows.find((r) => r.id === p.c.id)!;
    try {
      const r = await writeContainerLayers(staging, driver, p);
      Object.assign(row, { bytes: p.keep ? p.keptBytes ?? 0 : r.bytes, seconds: r.seconds });
      pseudoLinksLost += r.pseudoLinks;
      if (r.pseudoLinks) warn({ file: `${driver.fileRoot(p.mountId)}/.wh..wh.plnk`, message: `container ${p.c.name}: ${r.pseudoLinks} aufs pseudo-link(s) could not be kept` });
      publish.push(p);
    } catch (e) {
      await discardContainerLayers(staging, p);
      const err = e as NodeJS.ErrnoException;
      row.skipped = `${err.path ?? driver.fileRoot(p.mountId)}: ${err.code ?? err.message}`;
      warn({ file: String(err.path ?? driver.fileRoot(p.mountId)), message: `container ${p.c.name || p.c.id} skipped: ${err.code ?? err.message}` });
    }
  }
  return { publish, pseudoLinksLost };
}

/** Remove what writeContainerLayers left of a container that failed. */
export async function discardContainerLayers(staging: Staging, p: ContainerPlan): Promise<void> {
  const id = p.c.id;
  for (const cacheId of [p.initId, p.mountId].filter((x): x is string => !!x)) {
    const link = await fsp.readFile(`${staging.driverRoot}/${cacheId}/link`, 'utf8').catch(() => undefined);
    if (link) await fsp.rm(`${staging.driverRoot}/l/${link}`, { force: true });
    await fsp.rm(`${staging.driverRoot}/${cacheId}`, { recursive: true, force: true });
  }
  await fsp.rm(`${staging.imageRoot}/layerdb/mounts/${id}`, { recursive: true, force: true });
}

/**
 * Keep the legacy daemon's `file` as a hard link `backup`. `mine`: contents a pass wrote (this
 * one, or the last): a file with one of them is ours and the backup already holds the original;
 * any other content is the legacy daemon's (it rewrote the file since), so the backup is renewed.
 */
async function keepOriginal(file: string, backup: string, mine: Buffer[]): Promise<void> {
  const current = await fsp.readFile(file).catch(() => undefined);
  const isOurs = current !== undefined && mine.some((m) => m.equals(current));
  if (isOurs || current === undefined) return; // the backup (if any) already holds the original
  await fsp.rm(backup, { force: true });
  await fsp.link(file, backup);
}

/** Put the legacy daemon's file back where a pass had replaced it with one of `mine`; a stale backup goes. */
async function restoreOriginal(file: string, backup: string, mine: Buffer[]): Promise<void> {
  const current = await fsp.readFile(file).catch(() => undefined);
  if (current !== undefined && mine.some((m) => m.equals(current))) await fsp.rename(backup, file).catch(() => undefined);
  else await fsp.rm(backup, { force: true });
}

/**
 * A container a previous pass published and this one does not (the legacy daemon removed it, or
 * it is running now): its dir is given back as the legacy daemon left it.
 */
export async function unpublishContainer(root: string, target: string, rec: PublishRecord): Promise<void> {
  if (target !== root) return fsp.rm(`${target}/containers/${rec.id}`, { recursive: true, force: true });
  const st = await fsp.stat(rec.dir, { bigint: true }).catch(() => undefined);
  if (!st) return; // removed with its dir
  const config = Buffer.from(rec.config, 'base64');
  if (rec.replacesConfig) await restoreOriginal(`${rec.dir}/config.v2.json`, `${rec.dir}/${CONFIG_BACKUP}`, [config]);
  else if ((await fsp.readFile(`${rec.dir}/config.v2.json`).catch(() => undefined))?.equals(config)) await fsp.rm(`${rec.dir}/config.v2.json`);
  if (rec.hostConfig) await restoreOriginal(`${rec.dir}/hostconfig.json`, `${rec.dir}/${HOSTCONFIG_BACKUP}`, [Buffer.from(rec.hostConfig, 'base64')]);
  setTimes(rec.dir, st.atimeNs, st.mtimeNs);
}

async function atomicWrite(path: string, data: Buffer, mode: number): Promise<void> {
  const tmp = `${path}.cas-migrate-tmp`;
  await fsp.rm(tmp, { force: true });
  await writeNew(tmp, data, mode);
  const fh = await fsp.open(tmp, constants.O_RDONLY);
  await fh.sync().finally(() => fh.close());
  await fsp.rename(tmp, path);
}

export const HOSTCONFIG_BACKUP = 'hostconfig.json.pre-cas-migrate';
export const CONFIG_BACKUP = 'config.v2.json.pre-cas-migrate';

/**
 * Make containers visible to dockerd: config.v2.json (and a hostconfig.json with rebuilt Links,
 * the original kept as hostconfig.json.pre-cas-migrate) in the target's containers/<id>/. With a
 * separate --target the legacy container dir is copied there first and left untouched.
 */
export function publishRecord(p: ContainerPlan): PublishRecord {
  const st = lstatSync(p.c.dir, { bigint: true });
  return {
    id: p.c.id, dir: p.c.dir, config: p.config.toString('base64'), hostConfig: p.hostConfig?.toString('base64'), replacesConfig: p.replacesConfig,
    dirTimes: [String(st.atimeNs), String(st.mtimeNs)],
  };
}

export async function publishContainer(root: string, target: string, rec: PublishRecord, previous?: PublishRecord): Promise<void> {
  const p = { id: rec.id, config: Buffer.from(rec.config, 'base64'), hostConfig: rec.hostConfig ? Buffer.from(rec.hostConfig, 'base64') : undefined };
  let dir = rec.dir;
  if (target !== root) {
    dir = `${target}/containers/${p.id}`;
    await fsp.mkdir(`${target}/containers`, { recursive: true, mode: 0o710 });
    // A fresh verbatim copy (a rerun after a kill may find a partial one): times to the
    // nanosecond, owners, xattrs and hard links kept, which fs.cp would not all do.
    await fsp.rm(dir, { recursive: true, force: true });
    await copyTree(Buffer.from(rec.dir), Buffer.from(dir));
  }
  const st = await fsp.stat(dir, { bigint: true });
  const [atimeNs, mtimeNs] = rec.dirTimes ? rec.dirTimes.map(BigInt) as [bigint, bigint] : [st.atimeNs, st.mtimeNs];
  const ours = (b?: string) => (b ? [Buffer.from(b, 'base64')] : []);
  // The source daemon's own config.v2.json (CAS-era roots) stays as a hard link for rollback.
  if (rec.replacesConfig) await keepOriginal(`${dir}/config.v2.json`, `${dir}/${CONFIG_BACKUP}`, [p.config, ...ours(previous?.config)]);
  await atomicWrite(`${dir}/config.v2.json`, p.config, 0o600);
  if (p.hostConfig) {
    await keepOriginal(`${dir}/hostconfig.json`, `${dir}/${HOSTCONFIG_BACKUP}`, [p.hostConfig, ...ours(previous?.hostConfig)]);
    await atomicWrite(`${dir}/hostconfig.json`, p.hostConfig, 0o644);
  } else if (previous?.hostConfig) await restoreOriginal(`${dir}/hostconfig.json`, `${dir}/${HOSTCONFIG_BACKUP}`, ours(previous.hostConfig));
  // Files were only added: keep the container dir's own times as the legacy daemon left them.
  setTimes(dir, atimeNs, mtimeNs);
}
