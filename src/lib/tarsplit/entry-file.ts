// The per-file step of reassembly, shared by the portable path (assemble.ts) and the lines the
// native loop hands back (assemble-native.ts): open the entry's file inside the root, copy it,
// compare its CRC-64. Its own file so that the native path loads no CRC-64 code of its own.
import { closeSync } from 'node:fs';
import { ShortReadError } from '../fs/read-errors.js';
import { latin1 } from '../fs/gopath.js';
import type { ConfinedRoot } from '../fs/confined.js';
import type { FileEntry } from './entry.js';
import { CrcMismatchError } from './errors.js';

/** Feeds exactly `size` bytes of an open file to the stream and returns their CRC-64, big-endian. */
export type FileCopy = (fd: number, size: number) => Buffer | Promise<Buffer>;

/**
 * One file entry of size > 0: opened inside the root, copied, its CRC-64 compared. Go copies the
 * whole file and compares CRCs; a file whose size differs from the entry's can only fail that
 * comparison, so it fails here without being read. Otherwise exactly `size` bytes are read (no
 * extra read to see EOF); a file that ends early (it shrank since fstat) fails its CRC check.
 * Blocking opens: assembly runs in a worker thread (see ConfinedRoot).
 */
export async function copyEntryFile(e: FileEntry, root: ConfinedRoot, copy: FileCopy): Promise<void> {
  const { fd, size: onDisk } = root.openFile(latin1(e.name));
  let digest: Buffer;
  try {
    if (onDisk !== e.size) throw new CrcMismatchError(e.name.toString('utf8'));
    digest = await copy(fd, e.size);
  } catch (err) {
    if (err instanceof ShortReadError) throw new CrcMismatchError(e.name.toString('utf8'));
    throw err;
  } finally {
    closeSync(fd);
  }
  if (!e.payload || !digest.equals(e.payload)) throw new CrcMismatchError(e.name.toString('utf8'));
}
