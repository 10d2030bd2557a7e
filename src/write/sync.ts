// A rerun is a sync: what a pass wants (the desired state of the root as it is now) minus what
// the last pass recorded is the work. Each layer and container is recorded with a stamp of its
// inputs; an input whose stamp is unchanged is kept as written (its overlay2 dir is not read or
// written again), everything else is written anew in the staging dir, and the commit moves the
// new dirs in and the stale ones out, then swaps the rebuilt image store. The first pass is the
// same computation with nothing recorded (its commit is two renames).
//
// Stamps (docs/architecture.md, "Sync"): an image layer is immutable once its daemon registered
// it — a change means removal and a new dir — so the inode, size, mtime and ctime of its json /
// layerdb entry, tar-split and layer dir prove it unchanged. A container layer is written in
// place (a run, `docker cp`), so its stamp covers every entry of its init and writable dirs
// (inode, mode, owner, size, mtime, ctime), and its config files' contents.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, promises as fsp, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import type { LayerDigest } from '../checksum/types.js';
import { linkIdFor } from './overlay2.js';

export interface RecordedLayer {
  /** The source driver's id (v1 id, or cache id on a CAS-era root). */
  id: string;
  cacheId: string;
  chainId: string;
  stamp: string;
  digest: LayerDigest;
}

export interface RecordedContainer {
  id: string;
  /** Its overlay2 dirs (init, then writable). */
  dirs: string[];
  stamp: string;
  /** Writable data copied for it (the report's figure for a pass that keeps it). */
  bytes?: number;
}

export interface Recorded {
  layers: RecordedLayer[];
  containers: RecordedContainer[];
  /** Checksums of layers that own no overlay2 dir (an identical layer came first): their DiffIDs still make image IDs. */
  checksums?: Array<{ id: string; stamp: string; digest: LayerDigest }>;
}

/** What the commit of a pass does to the visible layout; recorded in the journal, replayed after a kill. */
export interface CommitPlan {
  /** overlay2 dirs written in staging, to move in. */
  add: string[];
  /** overlay2 dirs of the last pass that are stale (removed, or written anew). */
  remove: string[];
  /** Every overlay2 dir of the new layout with its link id. */
  links: Record<string, string>;
  /** The dirs that have a child, so carry `committed`. */
  committed: string[];
}

const statLine = (p: string): string => {
  const st = lstatSync(p, { bigint: true, throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : '-';
};

/** The stamp of an image layer's inputs. */
export function fileStamp(paths: Array<string | undefined>): string {
  return paths.map((p) => (p ? statLine(p) : '-')).join('|');
}

/** The stamp of whole trees (every entry) and files: a container's layers and config. */
export function treeStamp(dirs: string[], files: string[]): string {
  const h = createHash('sha256');
  const visit = (p: Buffer, rel: string) => {
    const st = lstatSync(p, { bigint: true, throwIfNoEntry: false });
    if (!st) return void h.update(`${rel}\0-\n`);
    h.update(`${rel}\0${st.ino}:${st.mode}:${st.uid}:${st.gid}:${st.size}:${st.mtimeNs}:${st.ctimeNs}\n`);
    if (!st.isDirectory()) return;
    const names = readdirSync(p, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const n of names) visit(Buffer.concat([p, Buffer.from('/'), n]), `${rel}/${n.toString('latin1')}`);
  };
  for (const d of dirs) visit(Buffer.from(d), d);
  // Config files by content: hard-linking an original as a backup changes its ctime, not it.
  for (const f of files) h.update(existsSync(f) ? readFileSync(f) : Buffer.from('-')).update('\0'); // by content, wherever it is kept
  return h.digest('hex');
}

/** The last pass's record, asked per layer and container whether it still holds. */
export class Prior {
  private readonly layers: Map<string, RecordedLayer>;
  private readonly containers: Map<string, RecordedContainer>;
  private readonly checksums: Map<string, { stamp: string; digest: LayerDigest }>;
  constructor(readonly recorded: Recorded, private readonly target: string) {
    this.layers = new Map(recorded.layers.map((l) => [l.id, l]));
    this.checksums = new Map((recorded.checksums ?? []).map((c) => [c.id, c]));
    this.containers = new Map(recorded.containers.map((c) => [c.id, c]));
  }

  /** The recorded layer when its inputs are unchanged and its overlay2 dir is there. */
  layer(id: string, stamp: string, cacheId: string): RecordedLayer | undefined {
    const l = this.layers.get(id);
    if (!l || l.stamp !== stamp || l.cacheId !== cacheId || !existsSync(`${this.target}/overlay2/${cacheId}/diff`)) return undefined;
    // Its tar-split is the visible layout's copy: the next image store links it instead of copying.
    const tarSplit = `${this.target}/image/overlay2/layerdb/sha256/${l.chainId.slice(7)}/tar-split.json.gz`;
    if (!existsSync(tarSplit)) return undefined;
    return { ...l, digest: { ...l.digest, tarSplit } };
  }

  /** A recorded checksum of a layer without its own dir, when its inputs are unchanged (Path A: its tar-split is the legacy one). */
  checksum(id: string, stamp: string): LayerDigest | undefined {
    const c = this.checksums.get(id);
    return c && c.stamp === stamp && c.digest.path === 'A' && existsSync(c.digest.tarSplit) ? c.digest : undefined;
  }

  container(id: string, stamp: string): RecordedContainer | undefined {
    const c = this.containers.get(id);
    if (!c || c.stamp !== stamp || !c.dirs.every((d) => existsSync(`${this.target}/overlay2/${d}/diff`))) return undefined;
    return c;
  }

  /** Every overlay2 dir the last pass left. */
  dirs(): string[] {
    return [...this.recorded.layers.map((l) => l.cacheId), ...this.recorded.containers.flatMap((c) => c.dirs)];
  }
}

/** The commit of a pass: dirs written in staging move in; the last pass's dirs not kept move out. */
export function planCommit(prior: Prior | undefined, desired: Recorded, kept: Set<string>, stagingDriverRoot: string, parents: Map<string, string | undefined>): CommitPlan {
  const dirs = [...desired.layers.map((l) => l.cacheId), ...desired.containers.flatMap((c) => c.dirs)];
  const add = dirs.filter((d) => !kept.has(d) && existsSync(`${stagingDriverRoot}/${d}`));
  const remove = (prior?.dirs() ?? []).filter((d) => !kept.has(d));
  const committed = new Set([...parents.values()].filter((p): p is string => !!p));
  return { add, remove, links: Object.fromEntries(dirs.map((d) => [d, linkIdFor(d)])), committed: [...committed] };
}

/** Whether a commit would change nothing: no dir in or out and an identical image store. */
export function isNoop(plan: CommitPlan, stagedImage: string, currentImage: string): boolean {
  return plan.add.length === 0 && plan.remove.length === 0 && sameTree(stagedImage, currentImage);
}

/** Same names, types, modes, link targets and file contents (times aside: metadata is written anew each pass). */
export function sameTree(a: string, b: string): boolean {
  const sa = lstatSync(a, { throwIfNoEntry: false }), sb = lstatSync(b, { throwIfNoEntry: false });
  if (!sa || !sb || (sa.mode !== sb.mode)) return false;
  if (sa.isSymbolicLink()) return readlinkSync(a) === readlinkSync(b);
  if (sa.isFile()) return (sa.ino === sb.ino && sa.dev === sb.dev) || (sa.size === sb.size && readFileSync(a).equals(readFileSync(b)));
  if (!sa.isDirectory()) return sa.rdev === sb.rdev;
  const na = readdirSync(a).sort(), nb = readdirSync(b).sort();
  return na.length === nb.length && na.every((n, i) => n === nb[i] && sameTree(`${a}/${n}`, `${b}/${n}`));
}

const exists = (p: string) => lstatSync(p, { throwIfNoEntry: false }) !== undefined;

/**
 * Make a pass visible over the last one. Idempotent: each step checks what is already done, so a
 * rerun after a kill anywhere in here finishes the same commit. A dir both stale and written anew
 * leaves only while its new copy is still in staging.
 */
export async function applySyncCommit(target: string, stagingDir: string, plan: CommitPlan, faultPoint: () => void): Promise<void> {
  const drv = `${target}/overlay2`, staged = `${stagingDir}/overlay2`, trash = `${stagingDir}/trash`;
  await fsp.mkdir(trash, { recursive: true, mode: 0o700 });
  // The last pass's layout may have been moved away by hand: nothing is kept then, all is added.
  if (!exists(drv)) await fsp.mkdir(drv, { mode: 0o710 }).then(() => fsp.chmod(drv, 0o710));
  if (!exists(`${drv}/l`)) await fsp.mkdir(`${drv}/l`, { mode: 0o700 });
  const adding = new Set(plan.add);
  for (const r of plan.remove) {
    if (adding.has(r) ? exists(`${staged}/${r}`) && exists(`${drv}/${r}`) : exists(`${drv}/${r}`)) await fsp.rename(`${drv}/${r}`, `${trash}/${r}`);
    if (!(r in plan.links)) rmSync(`${drv}/l/${linkIdFor(r)}`, { force: true });
  }
  faultPoint();
  for (const a of plan.add) if (exists(`${staged}/${a}`)) await fsp.rename(`${staged}/${a}`, `${drv}/${a}`);
  for (const [dir, link] of Object.entries(plan.links)) {
    const l = `${drv}/l/${link}`;
    if (!exists(l)) symlinkSync(`../${dir}/diff`, l);
  }
  const committed = new Set(plan.committed);
  for (const dir of Object.keys(plan.links)) {
    const f = `${drv}/${dir}/committed`;
    if (committed.has(dir) && !exists(f)) writeFileSync(f, '', { mode: 0o600 });
    else if (!committed.has(dir) && exists(f)) unlinkSync(f);
  }
  const image = `${target}/image/overlay2`, stagedImage = `${stagingDir}/image/overlay2`;
  if (exists(stagedImage)) {
    if (exists(image)) await fsp.rename(image, `${stagingDir}/old-image-overlay2`);
    await fsp.rename(stagedImage, image);
  }
  if (!exists(image)) throw new Error(`${target}: the staged image store to commit is gone; rerun with --force`);
  await fsp.rm(stagingDir, { recursive: true, force: true });
}
