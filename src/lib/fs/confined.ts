// Opening files by untrusted relative names inside a root without ever leaving it (formats.md
// §5.6). Node has no openat2(RESOLVE_IN_ROOT), so every directory component is lstat'ed and
// must be a real directory; the final component is opened with O_NOFOLLOW. Verified
// directories are cached per root, so a layer with many files costs one lstat per directory.
// Synchronous on purpose: this runs in a checksum worker thread that has nothing else to do, and
// a blocking open/fstat costs a fraction of a libuv thread-pool round trip per small file.
import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';
import { relativeInRoot } from './gopath.js';
import { childPath } from './walk.js';

/** A path that would leave the root: never a fallback case, always a hard error. */
export class EscapeError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${JSON.stringify(file)}: ${reason}`);
  }
}

/** An fs error about an entry, named by the entry, keeping its code. */
function fileError(name: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  return Object.assign(new Error(`${JSON.stringify(name)}: ${err.code ?? err.message}`), { code: err.code });
}

/** Why opening an entry's file failed, as one error: the same whoever made the open call. */
export function openFailure(name: string, e: { code?: string; message: string }): Error {
  if (e.code === 'ELOOP') return new EscapeError(name, 'is a symlink; refusing to follow it out of the layer');
  return fileError(name, e);
}

export function notRegular(name: string): Error {
  return new Error(`${JSON.stringify(name)}: not a regular file`);
}

export class ConfinedRoot {
  private readonly okDirs = new Set<string>(['.']);
  constructor(readonly root: string) {}

  /** Absolute path for a root-relative latin1 path (no checks). */
  abs(rel: string): string | Buffer {
    return rel === '.' ? this.root : childPath(this.root, rel);
  }

  private checkDir(rel: string, name: string): void {
    if (this.okDirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    if (slash > 0) this.checkDir(rel.slice(0, slash), name);
    let st;
    try {
      st = lstatSync(this.abs(rel));
    } catch (e) {
      throw fileError(name, e);
    }
    if (st.isSymbolicLink()) throw new EscapeError(name, `path component ${JSON.stringify(rel)} is a symlink; refusing to follow it out of the layer`);
    if (!st.isDirectory()) throw new Error(`${JSON.stringify(name)}: path component ${JSON.stringify(rel)} is not a directory`);
    this.okDirs.add(rel);
  }

  /**
   * The absolute path of an entry's file, its directories checked; escapes throw EscapeError.
   * The final component is the opener's to check: open it with O_NOFOLLOW.
   */
  resolve(name: string): string | Buffer {
    const rel = relativeInRoot(name);
    if (rel === undefined) throw new EscapeError(name, 'name climbs out of the layer with ".."');
    const slash = rel.lastIndexOf('/');
    if (slash > 0) this.checkDir(rel.slice(0, slash), name);
    return this.abs(rel);
  }

  /** lstat a regular file named by a tar-split entry, with the same confinement as openFile. */
  statFile(name: string): Stats {
    const path = this.resolve(name);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (e) {
      throw fileError(name, e);
    }
    if (st.isSymbolicLink()) throw new EscapeError(name, 'is a symlink; refusing to follow it out of the layer');
    if (!st.isFile()) throw notRegular(name);
    return st;
  }

  /** Open a regular file named by a tar-split entry (latin1 bytes); returns the descriptor and size. */
  openFile(name: string): { fd: number; size: number } {
    const path = this.resolve(name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      throw openFailure(name, e as Error);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw notRegular(name);
    }
    return { fd, size: st.size };
  }
}
