// Everything is built in a staging dir inside the target (dockerd ignores unknown top-level
// dirs) and made visible by two renames: overlay2/ first (dockerd reads it only through the
// layer store), image/overlay2/ last. Before the last rename dockerd sees no new layout at all;
// after it, the complete one.
import { promises as fsp } from 'node:fs';
import { mkdirpMode } from './files.js';
import { faultPoint } from './journal.js';

export const STAGING_NAME = '.cas-migrate-staging';

export interface Staging {
  dir: string;
  imageRoot: string;
  driverRoot: string;
  pathB: string;
  checkpoints: string;
}

async function entries(p: string): Promise<string[] | undefined> {
  try {
    return await fsp.readdir(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * 'none': nothing there; 'empty': what a dockerd 20.10 leaves after booting on a legacy root
 * (no layers, no images); 'data': a layout holding layers or images.
 */
export async function existingLayout(target: string): Promise<'none' | 'empty' | 'data'> {
  const image = await entries(`${target}/image/overlay2`);
  const driver = await entries(`${target}/overlay2`);
  if (image === undefined && driver === undefined) return 'none';
  const layers = (await entries(`${target}/image/overlay2/layerdb/sha256`)) ?? [];
  const images = (await entries(`${target}/image/overlay2/imagedb/content/sha256`)) ?? [];
  const mounts = (await entries(`${target}/image/overlay2/layerdb/mounts`)) ?? [];
  const dirs = (driver ?? []).filter((n) => n !== 'l');
  const links = (await entries(`${target}/overlay2/l`)) ?? [];
  return layers.length || images.length || mounts.length || dirs.length || links.length ? 'data' : 'empty';
}

/**
 * A fresh staging dir. A leftover of an interrupted run is ours: its half-built layout goes, but
 * its checksum checkpoints and regenerated tar-splits stay for this run to reuse.
 */
export async function createStaging(target: string): Promise<Staging> {
  await mkdirpMode(target, 0o710);
  const dir = `${target}/${STAGING_NAME}`;
  const keep = new Set(['pathb', 'checksums.jsonl']);
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) if (!keep.has(name)) await fsp.rm(`${dir}/${name}`, { recursive: true, force: true });
  await fsp.mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const s: Staging = { dir, imageRoot: `${dir}/image/overlay2`, driverRoot: `${dir}/overlay2`, pathB: `${dir}/pathb`, checkpoints: `${dir}/checksums.jsonl` };
  await fsp.mkdir(`${dir}/image`, { mode: 0o700 });
  await fsp.mkdir(s.driverRoot);
  await fsp.chmod(s.driverRoot, 0o710);
  await fsp.mkdir(`${s.driverRoot}/l`, { mode: 0o700 });
  await fsp.mkdir(s.pathB, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return s;
}

async function fsyncDir(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Before the commit: the target must hold no layout with data; an empty one is moved aside. */
export async function prepareCommit(s: Staging, target: string): Promise<void> {
  const state = await existingLayout(target);
  if (state === 'data') throw new Error(`${target}: an overlay2 layout with data appeared while migrating; staging left at ${s.dir}`);
  if (state === 'empty') {
    // An empty layout from a dockerd boot: move it into staging, then delete it with the rest.
    await fsp.rename(`${target}/overlay2`, `${s.dir}/old-overlay2`).catch(() => undefined);
    await fsp.rename(`${target}/image/overlay2`, `${s.dir}/old-image-overlay2`).catch(() => undefined);
  }
}

const exists = (p: string) => fsp.lstat(p).then(() => true, () => false);

/** Never write through a symlink planted in the target: the commit renames would land elsewhere. */
export async function refuseSymlinkedTarget(target: string): Promise<void> {
  for (const p of [`${target}/image`, `${target}/image/overlay2`, `${target}/overlay2`, `${target}/${STAGING_NAME}`, `${target}/containers`]) {
    if ((await fsp.lstat(p).catch(() => undefined))?.isSymbolicLink()) throw new Error(`${p}: is a symlink; refusing to write through it`);
  }
}

/**
 * The renames that make the layout visible, overlay2/ first, image/overlay2/ last. Idempotent:
 * after a kill anywhere in here, calling it again finishes the job.
 */
export async function finishCommit(target: string): Promise<void> {
  const dir = `${target}/${STAGING_NAME}`;
  await refuseSymlinkedTarget(target);
  await mkdirpMode(`${target}/image`, 0o700);
  if ((await exists(`${dir}/overlay2`)) && !(await exists(`${target}/overlay2`))) {
    await fsp.rename(`${dir}/overlay2`, `${target}/overlay2`);
    await fsyncDir(target);
    faultPoint('between-renames');
  }
  if ((await exists(`${dir}/image/overlay2`)) && !(await exists(`${target}/image/overlay2`))) {
    await fsp.rename(`${dir}/image/overlay2`, `${target}/image/overlay2`);
    await fsyncDir(`${target}/image`);
  }
  if (!(await exists(`${target}/overlay2`)) || !(await exists(`${target}/image/overlay2`))) throw new Error(`${target}: the staged layout to commit is gone; rerun with --force`);
  await fsp.rm(dir, { recursive: true, force: true });
}

/**
 * After a failure. `keepCheckpoints`: the machine, not the input, failed (disk full, I/O or
 * permission errors), so the checksum checkpoints stay for the rerun; the half-built layout goes.
 */
export async function discardStaging(s: Staging, keepCheckpoints = false): Promise<void> {
  if (!keepCheckpoints) return fsp.rm(s.dir, { recursive: true, force: true });
  for (const name of await fsp.readdir(s.dir).catch(() => [] as string[]))
    if (name !== 'pathb' && name !== 'checksums.jsonl') await fsp.rm(`${s.dir}/${name}`, { recursive: true, force: true });
}

const ENVIRONMENTAL = /\b(ENOSPC|EDQUOT|EIO|EROFS|EACCES|EPERM)\b/;

/** Whether an error came from the machine (worth resuming) rather than from the input. */
export function isEnvironmental(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return ENVIRONMENTAL.test(err?.code ?? '') || ENVIRONMENTAL.test(err?.message ?? '');
}
