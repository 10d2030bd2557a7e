// aufs: aufs/diff/<id> holds exactly a layer's own changes, with aufs whiteouts as files
// (formats.md §1.8). Materialising an overlay2 diff dir is a walk that hardlinks every
// non-directory, recreates directories, and converts whiteouts (§4.8, §6.2).
import { linkSync, lstatSync, mkdirSync, promises as fsp } from 'node:fs';
import { copyKeepingLinks, copyMeta } from '../lib/fs/copy.js';
import { joinAbs, readdirSortedSync } from '../lib/fs/walk.js';
import { mknod, setXattr } from '../lib/fs/special.js';
import type { V1Id } from '../discover/records.js';
import { emptyStats, type DiffSource, type LegacyDriver, type MaterialiseMode, type MaterialiseStats } from './driver.js';

const WH = '.wh.';
const WH_META = '.wh..wh.';
const WH_OPQ = '.wh..wh..opq';

/** Top-level aufs metadata that Docker's aufs Diff excluded (formats.md §2.3.1). */
export function isAufsMeta(rel: string, depth: number): boolean {
  return depth === 0 && rel.startsWith(WH_META) && rel !== WH_OPQ;
}

export class AufsDriver implements LegacyDriver {
  readonly name = 'aufs';
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

  async materialise(id: string, dest: string, mode: MaterialiseMode): Promise<MaterialiseStats> {
    const stats = emptyStats();
    const src = Buffer.from(this.diffDir(id));
    const dst = Buffer.from(dest);
    await fsp.mkdir(dst);
    const plnk = Buffer.concat([src, Buffer.from('/.wh..wh.plnk')]);
    stats.pseudoLinks = (await fsp.readdir(plnk).catch(() => [])).length;
    await convertDir(src, dst, '', 0, stats, { mode, copiedInodes: new Map(), sinceYield: 0 });
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
}

/**
 * Entries between yields to the event loop: the walk runs in the main thread while the checksum
 * workers still run (write/diffs.ts), and their messages must not wait for a whole layer
 * (≈ 256 links are a few ms).
 */
const YIELD_EVERY = 256;

// The per-entry calls are synchronous: a thread-pool round trip per lstat and link doubled the
// full migration's time; the walk yields to the event loop every YIELD_EVERY entries instead.
async function convertDir(srcRoot: Buffer, dstRoot: Buffer, relDir: string, depth: number, stats: MaterialiseStats, w: Walk): Promise<void> {
  const srcDir = relDir === '' ? srcRoot : joinAbs(srcRoot, relDir);
  const dstDir = relDir === '' ? dstRoot : joinAbs(dstRoot, relDir);
  const names = readdirSortedSync(srcDir);
  const present = new Set(names);
  for (const name of names) {
    if (++w.sinceYield >= YIELD_EVERY) {
      w.sinceYield = 0;
      await new Promise(setImmediate);
    }
    const rel = relDir === '' ? name : `${relDir}/${name}`;
    if (isAufsMeta(name, depth)) {
      stats.droppedMeta.push(rel);
      continue;
    }
    const s = joinAbs(srcRoot, rel);
    const st = lstatSync(s, { bigint: true });
    if (name === WH_OPQ) {
      await setXattr(dstDir, 'trusted.overlay.opaque', 'y');
      stats.opaqueDirs++;
      continue;
    }
    if (name.startsWith(WH)) {
      const hidden = name.slice(WH.length);
      // A real entry of the same name wins, as it would in a later tar entry.
      if (hidden === '' || present.has(hidden)) continue;
      const w = joinAbs(dstRoot, relDir === '' ? hidden : `${relDir}/${hidden}`);
      await mknod(w, 'c', 0, 0, 0);
      await fsp.lchown(w, Number(st.uid), Number(st.gid));
      stats.whiteouts++;
      continue;
    }
    const d = joinAbs(dstRoot, rel);
    if (st.isDirectory()) {
      mkdirSync(d);
      await convertDir(srcRoot, dstRoot, rel, depth + 1, stats, w);
      await copyMeta(s, d, st);
      continue;
    }
    stats.files++;
    if (w.mode === 'link') {
      try {
        linkSync(s, d); // link(2) on Linux does not follow a symlink: the link itself is linked
        stats.linked++;
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      }
    }
    const how = await copyKeepingLinks(s, d, st, w.copiedInodes, w.mode === 'link');
    if (how === 'cloned') stats.cloned++;
    else if (how === 'copied') {
      stats.copied++;
      if (st.isFile()) stats.copiedBytes += Number(st.size);
    }
  }
}
