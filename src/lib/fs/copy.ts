// Copying filesystem entries with everything a hardlink would have shared: owner, mode,
// xattrs, times, device numbers; and whole trees with hard links inside them kept.
import { chmodSync, constants, lchownSync, promises as fsp, type BigIntStats } from 'node:fs';
import { listXattrs, listXattrsSync, makeSocket, mknod, rdevMajor, rdevMinor, setXattr, setXattrSync } from './special.js';
import { setTimes } from './times.js';
import { joinAbs, readdirSorted } from './walk.js';

/**
 * Owner, mode, xattrs and times of a recreated directory (or copied entry). Synchronous calls
 * where the path allows: the write stage runs these by the thousand with nothing to overlap.
 */
export async function copyMeta(src: Buffer, dst: Buffer, st: BigIntStats): Promise<void> {
  lchownSync(dst, Number(st.uid), Number(st.gid));
  if (!st.isSymbolicLink()) {
    chmodSync(dst, Number(st.mode) & 0o7777);
    for (const [k, v] of listXattrsSync(src) ?? (await listXattrs(src))) if (!setXattrSync(dst, k, v)) await setXattr(dst, k, v);
  }
  setTimes(dst, st.atimeNs, st.mtimeNs);
}

/** Copy one non-directory preserving what a hardlink would have shared. */
export async function copyEntry(src: Buffer, dst: Buffer, st: BigIntStats): Promise<void> {
  // FICLONE: a reflink where the filesystem has them (btrfs, xfs), an ordinary copy elsewhere
  if (st.isFile()) await fsp.copyFile(src, dst, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  else if (st.isSymbolicLink()) await fsp.symlink(await fsp.readlink(src, { encoding: 'buffer' }), dst);
  else if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = Number(st.rdev);
    await mknod(dst, st.isCharacterDevice() ? 'c' : 'b', Number(st.mode), rdevMajor(rdev), rdevMinor(rdev));
  } else if (st.isFIFO()) await mknod(dst, 'p', Number(st.mode));
  else if (st.isSocket()) await makeSocket(dst);
  await copyMeta(src, dst, st);
}

/**
 * Share a regular file's data when a hard link is impossible (EXDEV: another filesystem, or
 * another btrfs subvolume): a reflink clone if the filesystem can, else a full copy.
 */
export async function cloneOrCopy(src: Buffer, dst: Buffer, st: BigIntStats): Promise<'cloned' | 'copied'> {
  if (st.isFile()) {
    try {
      await fsp.copyFile(src, dst, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
      await copyMeta(src, dst, st);
      return 'cloned';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
      await fsp.rm(dst, { force: true });
    }
  }
  await copyEntry(src, dst, st);
  return 'copied';
}

/**
 * Copy a non-directory, keeping hard links within one copied layer: a second name of an inode
 * already copied (`inodes`: source inode → first copy) becomes a hard link to that copy.
 * `share`: cloneOrCopy (image layers, data shared where possible) or copyEntry (a private copy).
 */
export async function copyKeepingLinks(
  src: Buffer, dst: Buffer, st: BigIntStats, inodes: Map<bigint, Buffer>, share = false,
): Promise<'relinked' | 'cloned' | 'copied'> {
  const first = st.nlink > 1n ? inodes.get(st.ino) : undefined;
  if (first) {
    await fsp.link(first, dst);
    return 'relinked';
  }
  const how = share ? await cloneOrCopy(src, dst, st) : (await copyEntry(src, dst, st), 'copied' as const);
  if (st.nlink > 1n) inodes.set(st.ino, dst);
  return how;
}

/**
 * Copy the tree `src` to `dst` (which must not exist) verbatim: every entry type, xattrs
 * included, hard links within the tree kept as hard links. Returns regular-file bytes copied.
 */
export async function copyTree(src: Buffer, dst: Buffer): Promise<{ entries: number; bytes: number }> {
  const inodes = new Map<bigint, Buffer>();
  const out = { entries: 0, bytes: 0 };
  const dir = async (s: Buffer, d: Buffer, st: BigIntStats): Promise<void> => {
    await fsp.mkdir(d);
    for (const name of await readdirSorted(s)) {
      const cs = joinAbs(s, name), cd = joinAbs(d, name);
      const cst = await fsp.lstat(cs, { bigint: true });
      out.entries++;
      if (cst.isDirectory()) {
        await dir(cs, cd, cst);
        continue;
      }
      if ((await copyKeepingLinks(cs, cd, cst, inodes)) === 'copied' && cst.isFile()) out.bytes += Number(cst.size);
    }
    await copyMeta(s, d, st); // last: creating children changed the times
  };
  await dir(src, dst, await fsp.lstat(src, { bigint: true }));
  return out;
}
