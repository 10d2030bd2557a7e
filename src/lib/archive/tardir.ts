// A directory as the tar stream Docker 1.10's TarWithOptions wrote with Go 1.5 (formats.md §2.4):
// sorted pre-order walk, header from lstat, hard links by inode within the archive, only the
// security.capability xattr, two zero blocks at the end and no record padding.
import { promises as fsp, type BigIntStats } from 'node:fs';
import { walk } from '../fs/walk.js';
import { getXattr, rdevMajor, rdevMinor } from '../fs/special.js';
import { latin1 } from '../fs/gopath.js';
import {
  BLOCK, GoTarHeaderWriter, padding, TYPE_BLOCK, TYPE_CHAR, TYPE_DIR, TYPE_FIFO, TYPE_LINK, TYPE_OLDREG, TYPE_REG, TYPE_SYMLINK,
  type TarHeader,
} from '../tar/header.js';

const CHUNK = 1 << 20;

function typeflagOf(st: BigIntStats): number {
  if (st.isFile()) return TYPE_REG;
  if (st.isDirectory()) return TYPE_DIR;
  if (st.isSymbolicLink()) return TYPE_SYMLINK;
  if (st.isCharacterDevice()) return TYPE_CHAR;
  if (st.isBlockDevice()) return TYPE_BLOCK;
  if (st.isFIFO()) return TYPE_FIFO;
  return TYPE_OLDREG; // sockets: Go 1.5 had no type for them
}

async function capability(abs: Buffer): Promise<Map<string, Buffer> | undefined> {
  try {
    const v = await getXattr(abs, 'security.capability');
    return v ? new Map([['security.capability', v]]) : undefined;
  } catch {
    return undefined; // not UTF-8 addressable or xattrs unsupported: Docker ignored errors here too
  }
}

export type SkipFn = (rel: string, st: BigIntStats, depth: number) => boolean;

export async function* tarDirectory(dir: string, skip?: SkipFn): AsyncGenerator<Buffer> {
  const hw = new GoTarHeaderWriter();
  const seen = new Map<bigint, string>();
  const buf = Buffer.allocUnsafe(CHUNK);
  for await (const { rel, abs, st } of walk(dir, skip)) {
    const isDir = st.isDirectory();
    const name = isDir ? rel + '/' : rel;
    const rdev = Number(st.rdev);
    const h: TarHeader = {
      name,
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: st.isFile() ? Number(st.size) : 0,
      mtime: Number(st.mtimeNs / 1_000_000_000n) - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0),
      typeflag: typeflagOf(st),
      linkname: st.isSymbolicLink() ? latin1(await fsp.readlink(abs, { encoding: 'buffer' })) : '',
      devmajor: rdevMajor(rdev),
      devminor: rdevMinor(rdev),
    };
    if (!isDir && st.nlink > 1n) {
      const first = seen.get(st.ino);
      if (first !== undefined) {
        h.typeflag = TYPE_LINK;
        h.linkname = first;
        h.size = 0;
      } else seen.set(st.ino, name);
    }
    h.xattrs = await capability(abs);
    yield hw.encode(h);
    if (h.typeflag !== TYPE_REG || h.size === 0) continue;
    const fh = await fsp.open(abs, 'r');
    let left = h.size;
    try {
      while (left > 0) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, left), null);
        if (bytesRead === 0) throw new Error(`${JSON.stringify(rel)}: file shrank while being archived`);
        left -= bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
    const pad = padding(h.size);
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(2 * BLOCK);
}
