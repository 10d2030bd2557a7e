// aufs: aufs/diff/<id> holds exactly a layer's own changes, with aufs whiteouts as files
// (formats.md §1.8). Materialising an overlay2 diff dir is a walk that hardlinks every
// non-directory, recreates directories, and converts whiteouts (§4.8, §6.2).
import { linkSync, lstatSync, mkdirSync, promises as fsp, readdirSync } from 'node:fs';
import { copyKeepingLinks, copyMeta } from '../lib/fs/copy.js';
import { asBuffer, childPath, type FsPath } from '../lib/fs/walk.js';
import { batchLinking, linkBatch } from '../lib/fs/link-batch.js';
import { latin1 } from '../lib/fs/gopath.js';
import { setXattr } from '../lib/fs/special.js';
import { makeWhiteout } from './whiteout.js';
import type { V1Id } from '../discover/records.js';
import { emptyStats, type DiffSource, type LayerContext, type LegacyDriver, type MaterialiseMode, type MaterialiseStats } from './driver.js';

const WH = '.wh.';
const WH_META = '.wh..wh.';
const WH_OPQ = '.wh..wh..opq';

/** Top-level aufs metadata that Docker's aufs Diff excluded (formats.md §2.3.1). */
export function isAufsMeta(rel: string, depth: number): boolean {
  return depth === 0 && rel.startsWith(WH_META) && rel !== WH_OPQ;
}

export class AufsDriver implements LegacyDriver {
  readonly name = 'aufs';
  readonly diffNeedsTarSplit = false;
  constructor(readonly root: string) {}

  private diffDir(id: string): string {
    return `${this.root}/aufs/diff/${id}`;
  }

  async has(id: string): Promise<boolean> {
    // lstatSync: called once per layer during discover, where a thread-pool round trip each adds up
    return lstatSync(this.diffDir(id), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  fileRoot(id: string): string {
    return this.diffDir(id);
  }

  diffSource(id: V1Id): DiffSource {
    return { kind: 'dir', dir: this.diffDir(id), excludeAufsMeta: true };
  }

  containerSource(id: string): DiffSource {
    return { kind: 'dir', dir: this.diffDir(id), excludeAufsMeta: true };
  }

  async materialise(id: string, dest: string, mode: MaterialiseMode, ctx: LayerContext = {}): Promise<MaterialiseStats> {
    const stats = emptyStats();
    const src = Buffer.from(this.diffDir(id));
    const dst = Buffer.from(dest);
    await fsp.mkdir(dst);
    const plnk = Buffer.concat([src, Buffer.from('/.wh..wh.plnk')]);
    stats.pseudoLinks = (await fsp.readdir(plnk).catch(() => [])).length;
    await convertDir(this.diffDir(id), dest, 0, stats, { mode, copiedInodes: new Map(), sinceYield: 0, signal: ctx.signal });
    await copyMeta(src, dst, await fsp.lstat(src, { bigint: true }));
    return stats;
  }
}

interface Walk {
  mode: MaterialiseMode;
  /** copy mode: inode → first copy, so hard links within the layer stay hard links. */
  copiedInodes: Map<bigint, Buffer>;
  /** Entries since the walk last yielded to the event loop. */
  sinceYield: number;
  signal?: AbortSignal;
}

/**
 * Entries between yields to the event loop: the walk runs in the main thread while the checksum
 * workers still run (write/diffs.ts), and their messages must not wait for a whole layer
 * (≈ 256 links are a few ms).
 */
const YIELD_EVERY = 256;

// The per-entry calls are synchronous: a thread-pool round trip per lstat and link doubled the
// full migration's time; the walk yields to the event loop every YIELD_EVERY entries instead.
// Only directories and whiteouts are lstat'ed (their metadata is needed): readdir's d_type says
// what the rest are, and a plain file or symlink only needs link(2) — 20 000 links took ≈ 350 ms
// with an lstat and a Buffer path each, ≈ 215 ms without (docs/performance.md). With the addon
// those links are collected and made by one call at each yield and at the end of a directory
// (lib/fs/link-batch.ts); a name it could not link comes back to placeEntry, which tries again
// and says why or copies.
async function convertDir(srcDir: FsPath, dstDir: FsPath, depth: number, stats: MaterialiseStats, w: Walk): Promise<void> {
  const entries = readdirSync(srcDir, { withFileTypes: true, encoding: 'buffer' });
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const present = new Set(entries.map((e) => latin1(e.name)));
  const batch: Buffer[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const names = batch.splice(0);
    const left = linkBatch(srcDir, dstDir, names);
    stats.linked += names.length - left.length;
    for (const name of left) await placeEntry(childPath(srcDir, latin1(name)), childPath(dstDir, latin1(name)), stats, w);
  };
  for (const e of entries) {
    if (++w.sinceYield >= YIELD_EVERY) {
      w.sinceYield = 0;
      await flush();
      await new Promise(setImmediate);
      w.signal?.throwIfAborted();
    }
    const name = latin1(e.name);
    if (isAufsMeta(name, depth)) {
      stats.droppedMeta.push(name);
      continue;
    }
    // Anything else this walk does to the diff dir waits until the links collected before it
    // are made: a failure is then met in the order the walk without the addon meets it.
    if (name === WH_OPQ) {
      await flush();
      await setXattr(dstDir, 'trusted.overlay.opaque', 'y');
      stats.opaqueDirs++;
      continue;
    }
    const s = childPath(srcDir, name);
    if (name.startsWith(WH)) {
      const hidden = name.slice(WH.length);
      // A real entry of the same name wins, as it would in a later tar entry.
      if (hidden === '' || present.has(hidden)) continue;
      await flush();
      const st = lstatSync(s, { bigint: true });
      await makeWhiteout(childPath(dstDir, hidden), { uid: Number(st.uid), gid: Number(st.gid), atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });
      stats.whiteouts++;
      continue;
    }
    const d = childPath(dstDir, name);
    if (e.isDirectory()) {
      await flush();
      const st = lstatSync(s, { bigint: true });
      mkdirSync(d);
      await convertDir(s, d, depth + 1, stats, w);
      await copyMeta(asBuffer(s), asBuffer(d), st);
      continue;
    }
    stats.files++;
    if (w.mode === 'link' && batchLinking) batch.push(e.name);
    else await placeEntry(s, d, stats, w);
  }
  await flush();
}

/** One non-directory: a hard link, or where that cannot be (EXDEV, or copy mode) a clone or copy. */
async function placeEntry(s: FsPath, d: FsPath, stats: MaterialiseStats, w: Walk): Promise<void> {
  if (w.mode === 'link') {
    try {
      linkSync(s, d); // link(2) on Linux does not follow a symlink: the link itself is linked
      stats.linked++;
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    }
  }
  const st = lstatSync(s, { bigint: true });
  const how = await copyKeepingLinks(asBuffer(s), asBuffer(d), st, w.copiedInodes, w.mode === 'link');
  if (how === 'cloned') stats.cloned++;
  else if (how === 'copied') {
    stats.copied++;
    if (st.isFile()) stats.copiedBytes += Number(st.size);
  }
}
