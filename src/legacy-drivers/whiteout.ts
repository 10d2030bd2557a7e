// An overlay whiteout (char device 0:0, mode 0) whose owner and times come from the layer's data:
// the aufs `.wh.` entry it replaces, the tar-split header of that entry, or (for a deletion the
// change walk found) the directory that lost the entry. dockerd's own ApplyDiff leaves a
// whiteout with the clock's time; taking it from the data makes every migration of one root
// give the same tree (docs/formats.md, "Where each time comes from").
import { lchownSync } from 'node:fs';
import { mknod } from '../lib/fs/special.js';
import { setTimes } from '../lib/fs/times.js';
import type { FsPath } from '../lib/fs/walk.js';

export interface WhiteoutOrigin {
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

export async function makeWhiteout(p: FsPath, from: WhiteoutOrigin): Promise<void> {
  await mknod(p, 'c', 0, 0, 0);
  lchownSync(p, from.uid, from.gid);
  setTimes(p, from.atimeNs, from.mtimeNs);
}
