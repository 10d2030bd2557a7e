// An image layer's overlay2 diff dir from a full-tree driver (overlay v1, vfs, btrfs): the
// layer's stored tar-split names exactly the entries of the layer tar, so each one is taken
// from the layer's full tree — regular files (and every other non-directory) hardlinked, so
// image layers cost no extra disk — and whiteouts come from the ".wh." names (formats.md §6.3,
// §4.8). The result is what 20.10 would extract from that tar, with file payloads shared.
import { promises as fsp, type BigIntStats } from 'node:fs';
import { cloneOrCopy, copyMeta } from '../lib/fs/copy.js';
import { relativeInRoot, latin1, bytesOf } from '../lib/fs/gopath.js';
import { mknod, setXattr } from '../lib/fs/special.js';
import { joinAbs, lstatOrNone } from '../lib/fs/walk.js';
import { setTimes } from '../lib/fs/times.js';
import { makeWhiteout } from './whiteout.js';
import { TYPE_BLOCK, TYPE_CHAR, TYPE_DIR, TYPE_FIFO, TYPE_LINK, TYPE_OLDREG, TYPE_REG, TYPE_SYMLINK } from '../lib/tar/header.js';
import { headersOf, type SplitHeader } from '../lib/tarsplit/headers.js';
import { openTarSplit, readEntries } from '../lib/tarsplit/reader.js';
import { emptyStats, type MaterialiseStats } from './driver.js';

const WH = '.wh.';
const WH_META = '.wh..wh.';
const WH_OPQ = '.wh..wh..opq';

export class LayerTreeError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** Build `dest` (must not exist) from the entries of `tarSplit`, taking files from `tree`. */
export async function diffFromTarSplit(tarSplit: string, tree: string, dest: string): Promise<MaterialiseStats> {
  const stats = emptyStats();
  const src = Buffer.from(tree), dst = Buffer.from(dest);
  await fsp.mkdir(dst);
  const dirs = new Set<string>(); // created in dest; their metadata comes from the tree at the end
  const dirHeaders = new Map<string, SplitHeader>(); // for a directory the tree no longer has
  const ensureDir = async (rel: string): Promise<void> => {
    if (rel === '.' || dirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    if (slash > 0) await ensureDir(rel.slice(0, slash));
    const st = await lstatOrNone(joinAbs(dst, rel));
    if (!st?.isDirectory()) {
      if (st) await fsp.rm(joinAbs(dst, rel), { recursive: true });
      await fsp.mkdir(joinAbs(dst, rel));
    }
    dirs.add(rel);
  };
  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.');
  const input = openTarSplit(tarSplit);
  try {
    for await (const h of headersOf(readEntries(input))) {
      const rel = relativeInRoot(latin1(h.rawName));
      if (rel === undefined) throw new LayerTreeError(tarSplit, `entry ${JSON.stringify(h.rawName.toString('utf8'))} climbs out of the layer`);
      if (rel === '.') continue; // "./": the diff dir itself, whose metadata is set last
      const base = rel.slice(rel.lastIndexOf('/') + 1), dir = parentOf(rel);
      if (base === WH_OPQ) {
        await ensureDir(dir);
        await setXattr(dir === '.' ? dst : joinAbs(dst, dir), 'trusted.overlay.opaque', 'y');
        stats.opaqueDirs++;
        continue;
      }
      if (base.startsWith(WH_META)) {
        stats.droppedMeta.push(rel);
        continue;
      }
      await ensureDir(dir);
      if (base.startsWith(WH)) {
        const hidden = joinAbs(dst, dir === '.' ? base.slice(WH.length) : `${dir}/${base.slice(WH.length)}`);
        if (await lstatOrNone(hidden)) continue; // an entry of this name in the same layer wins
        await makeWhiteout(hidden, { uid: h.uid, gid: h.gid, atimeNs: h.atimeNs ?? h.mtimeNs, mtimeNs: h.mtimeNs });
        stats.whiteouts++;
        continue;
      }
      if (h.typeflag === TYPE_DIR) {
        await ensureDir(rel);
        dirHeaders.set(rel, h);
        continue;
      }
      if (!isEntryType(h.typeflag)) continue; // global PAX headers and other non-entries
      await placeEntry(h, rel, src, dst, stats, tarSplit);
    }
  } finally {
    input.destroy();
  }
  // Directory metadata from the tree, deepest first so that setting times sticks. A directory the
  // tree lacks takes its header's; one that neither has (a parent the tar never listed) takes
  // the layer root's, so no time in the result comes from the clock.
  const rootSt = await fsp.lstat(src, { bigint: true });
  for (const rel of [...dirs].sort((a, b) => b.length - a.length)) {
    const st = await lstatOrNone(joinAbs(src, rel));
    if (st?.isDirectory()) await copyMeta(joinAbs(src, rel), joinAbs(dst, rel), st);
    else await headerMeta(joinAbs(dst, rel), dirHeaders.get(rel), rootSt);
  }
  await copyMeta(src, dst, rootSt);
  return stats;
}

async function headerMeta(d: Buffer, h: SplitHeader | undefined, fallback: BigIntStats): Promise<void> {
  if (!h) {
    await fsp.lchown(d, Number(fallback.uid), Number(fallback.gid));
    await fsp.chmod(d, Number(fallback.mode) & 0o7777);
    return setTimes(d, fallback.atimeNs, fallback.mtimeNs);
  }
  await fsp.lchown(d, h.uid, h.gid);
  await fsp.chmod(d, h.mode & 0o7777);
  for (const [k, v] of h.xattrs) await setXattr(d, k, v);
  setTimes(d, h.atimeNs ?? h.mtimeNs, h.mtimeNs);
}

const isEntryType = (t: number) => [TYPE_REG, TYPE_OLDREG, TYPE_LINK, TYPE_SYMLINK, TYPE_CHAR, TYPE_BLOCK, TYPE_FIFO].includes(t);

/** One non-directory entry: the tree's node hardlinked, or recreated from the header when the tree has none. */
async function placeEntry(h: SplitHeader, rel: string, src: Buffer, dst: Buffer, stats: MaterialiseStats, tarSplit: string): Promise<void> {
  const s = joinAbs(src, rel), d = joinAbs(dst, rel);
  const existing = await lstatOrNone(d);
  if (existing) await fsp.rm(d, { recursive: true }); // a later entry of the same name replaces it, as extraction does
  stats.files++;
  const st = await lstatOrNone(s);
  if (st && !st.isDirectory()) {
    try {
      await fsp.link(s, d); // link(2) does not follow symlinks: the node itself is shared
      stats.linked++;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    }
    if ((await cloneOrCopy(s, d, st)) === 'cloned') stats.cloned++;
    else {
      stats.copied++;
      if (st.isFile()) stats.copiedBytes += Number(st.size);
    }
    return;
  }
  // Not in the tree (removed again later in the same tar, or a hard link whose own name is gone):
  // recreate it from the header, as extracting the tar would.
  switch (h.typeflag) {
    case TYPE_LINK: {
      const target = relativeInRoot(h.linkname);
      if (target === undefined || !(await lstatOrNone(joinAbs(dst, target)))) throw new LayerTreeError(s.toString(), `hard link target ${JSON.stringify(h.linkname)} is not in the layer (${tarSplit})`);
      await fsp.link(joinAbs(dst, target), d);
      stats.linked++;
      return;
    }
    case TYPE_SYMLINK:
      await fsp.symlink(bytesOf(h.linkname), d);
      break;
    case TYPE_CHAR:
    case TYPE_BLOCK:
      await mknod(d, h.typeflag === TYPE_CHAR ? 'c' : 'b', h.mode, h.devmajor, h.devminor);
      break;
    case TYPE_FIFO:
      await mknod(d, 'p', h.mode);
      break;
    default:
      if (h.size > 0) throw new LayerTreeError(s.toString(), `listed in ${tarSplit} with ${h.size} bytes but missing from the layer tree`);
      await fsp.writeFile(d, '');
  }
  await fsp.lchown(d, h.uid, h.gid);
  if (h.typeflag !== TYPE_SYMLINK) await fsp.chmod(d, h.mode & 0o7777);
  for (const [k, v] of h.xattrs) await setXattr(d, k, v);
  setTimes(d, h.atimeNs ?? h.mtimeNs, h.mtimeNs);
  stats.copied++;
}
