// A container layer's overlay2 diff dir from a full-tree driver (vfs, btrfs): the changes of
// its tree against its parent's tree (formats.md §2.5), copied — a container writes its layer
// in place, so nothing is shared with the legacy tree — with deletions as overlay whiteouts
// (char 0:0). The change walk never yields opaque directories (formats.md §6.2).
import { promises as fsp, type BigIntStats } from 'node:fs';
import { changesDirs } from '../lib/archive/changes.js';
import { copyKeepingLinks, copyMeta } from '../lib/fs/copy.js';
import { makeWhiteout } from './whiteout.js';
import { joinAbs } from '../lib/fs/walk.js';
import { emptyStats, type MaterialiseStats } from './driver.js';

export async function diffFromChanges(tree: string, parentTree: string, dest: string): Promise<MaterialiseStats> {
  const stats = emptyStats();
  const src = Buffer.from(tree), dst = Buffer.from(dest);
  await fsp.mkdir(dst);
  const inodes = new Map<bigint, Buffer>(); // hard links within the layer stay hard links
  const dirs: Array<[Buffer, Buffer, BigIntStats]> = [];
  for (const c of await changesDirs(tree, parentTree)) {
    const d = joinAbs(dst, c.path);
    // Parents are always in the list before their children (ancestors are emitted as Modify).
    if (c.kind === 'delete') {
      // No entry is left to say who deleted it or when: the directory that lost it does (its
      // mtime is the deletion's, or later), and the owner is root, as Docker's ExportChanges
      // wrote its whiteout headers.
      const dirSt = await fsp.lstat(joinAbs(src, parentRel(c.path)), { bigint: true });
      await makeWhiteout(d, { uid: 0, gid: 0, atimeNs: dirSt.mtimeNs, mtimeNs: dirSt.mtimeNs });
      stats.whiteouts++;
      continue;
    }
    const s = joinAbs(src, c.path);
    const st = await fsp.lstat(s, { bigint: true });
    if (st.isDirectory()) {
      await fsp.mkdir(d);
      dirs.push([s, d, st]);
      continue;
    }
    stats.files++;
    if ((await copyKeepingLinks(s, d, st, inodes)) !== 'copied') continue;
    stats.copied++;
    if (st.isFile()) stats.copiedBytes += Number(st.size);
  }
  for (const [s, d, st] of dirs.reverse()) await copyMeta(s, d, st);
  await copyMeta(src, dst, await fsp.lstat(src, { bigint: true }));
  return stats;
}

const parentRel = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.');
