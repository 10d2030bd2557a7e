// Small write helpers with explicit modes (the process umask must not decide them) and
// no symlink following in the staging tree. Synchronous inside: the write stage is a long
// sequence of tiny files with nothing to overlap them with, and a libuv thread-pool round trip
// per call made metadata cost several ms per layer (docs/performance.md, 100-layer chain).
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';

export async function mkdirMode(p: string, mode: number): Promise<void> {
  mkdirSync(p);
  chmodSync(p, mode);
}

export async function mkdirpMode(p: string, mode: number): Promise<void> {
  const made = mkdirSync(p, { recursive: true });
  if (made !== undefined) chmodSync(p, mode);
}

/** Create a new file (never an existing one, never through a symlink) with exact bytes and mode. */
export async function writeNew(p: string, data: Buffer | string, mode: number): Promise<void> {
  const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}
