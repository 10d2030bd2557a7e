// A directory as the tar stream Docker 1.10's TarWithOptions wrote with Go 1.5 (formats.md §2.4):
// sorted pre-order walk, header from lstat, hard links by inode within the archive, only the
// security.capability xattr, two zero blocks at the end and no record padding.
import { promises as fsp, type BigIntStats } from 'node:fs';
import { joinAbs, walk } from '../fs/walk.js';
import type { Change } from './changes.js';
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

/** An entry to archive: a path with its lstat, or a deletion (a whiteout header). */
export type TarItem = { rel: string; abs: Buffer; st: BigIntStats } | { whiteout: string; mtime: number };

export async function* tarDirectory(dir: string, skip?: SkipFn): AsyncGenerator<Buffer> {
  yield* tarItems(walk(dir, skip));
}

/**
 * Docker 1.10's ExportChanges (formats.md §2.5 step 3): each added or modified path archived as
 * addTarFile did, each deletion as a ".wh." header. Docker stamped whiteouts with time.Now() at
 * export; the caller passes a fixed time instead so that reruns give the same DiffID.
 */
export async function* tarChanges(dir: string, changes: Iterable<Change>, whiteoutMtime: (rel: string) => Promise<number>): AsyncGenerator<Buffer> {
  const root = Buffer.from(dir);
  async function* items(): AsyncGenerator<TarItem> {
    for (const c of changes) {
      if (c.kind === 'delete') {
        const slash = c.path.lastIndexOf('/');
        const wh = slash < 0 ? `.wh.${c.path}` : `${c.path.slice(0, slash)}/.wh.${c.path.slice(slash + 1)}`;
        yield { whiteout: wh, mtime: await whiteoutMtime(c.path) };
        continue;
      }
      const abs = joinAbs(root, c.path);
      // Docker logged and skipped a path that vanished between the walk and the export.
      const st = await fsp.lstat(abs, { bigint: true }).catch(() => undefined);
      if (st) yield { rel: c.path, abs, st };
    }
  }
  yield* tarItems(items());
}

async function* tarItems(items: AsyncIterable<TarItem>): AsyncGenerator<Buffer> {
  const hw = new GoTarHeaderWriter();
  const seen = new Map<bigint, string>();
  const buf = Buffer.allocUnsafe(CHUNK);
  for await (const item of items) {
    if ('whiteout' in item) {
      yield hw.encode({ name: item.whiteout, mode: 0, uid: 0, gid: 0, size: 0, mtime: item.mtime, typeflag: TYPE_OLDREG, linkname: '', devmajor: 0, devminor: 0 });
      continue;
    }
    const { rel, abs, st } = item;
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
