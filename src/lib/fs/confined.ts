// Opening files by untrusted relative names inside a root without ever leaving it (formats.md
// §5.6). Node has no openat2(RESOLVE_IN_ROOT), so every directory component is lstat'ed and
// must be a real directory; the final component is opened with O_NOFOLLOW. Verified
// directories are cached per root, so a layer with many files costs one lstat per directory.
import { constants, promises as fsp } from 'node:fs';
import { bytesOf, relativeInRoot } from './gopath.js';

/** A path that would leave the root: never a fallback case, always a hard error. */
export class EscapeError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${JSON.stringify(file)}: ${reason}`);
  }
}

export class ConfinedRoot {
  private readonly okDirs = new Set<string>(['.']);
  constructor(readonly root: string) {}

  /** Absolute Buffer path for a root-relative latin1 path (no checks). */
  abs(rel: string): Buffer {
    return rel === '.' ? Buffer.from(this.root) : Buffer.concat([Buffer.from(this.root + '/'), bytesOf(rel)]);
  }

  private async checkDir(rel: string, name: string): Promise<void> {
    if (this.okDirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    if (slash > 0) await this.checkDir(rel.slice(0, slash), name);
    const st = await fsp.lstat(this.abs(rel)).catch((e: NodeJS.ErrnoException) => {
      throw Object.assign(new Error(`${JSON.stringify(name)}: ${e.code ?? e.message}`), { code: e.code });
    });
    if (st.isSymbolicLink()) throw new EscapeError(name, `path component ${JSON.stringify(rel)} is a symlink; refusing to follow it out of the layer`);
    if (!st.isDirectory()) throw new Error(`${JSON.stringify(name)}: path component ${JSON.stringify(rel)} is not a directory`);
    this.okDirs.add(rel);
  }

  /** Open a regular file named by a tar-split entry (latin1 bytes). */
  async openFile(name: string): Promise<fsp.FileHandle> {
    const rel = relativeInRoot(name);
    if (rel === undefined) throw new EscapeError(name, 'name climbs out of the layer with ".."');
    const slash = rel.lastIndexOf('/');
    if (slash > 0) await this.checkDir(rel.slice(0, slash), name);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.abs(rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ELOOP') throw new EscapeError(name, 'is a symlink; refusing to follow it out of the layer');
      throw Object.assign(new Error(`${JSON.stringify(name)}: ${err.code ?? err.message}`), { code: err.code });
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new Error(`${JSON.stringify(name)}: not a regular file`);
    }
    return fh;
  }
}
