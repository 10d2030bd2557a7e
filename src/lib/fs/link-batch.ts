// Hard links of one directory's plain entries into another, many names per call. With the
// native addon, native/links.c opens both directories once and makes one linkat(2) per name
// relative to them: no JavaScript call, path string or error object per file, and the kernel
// resolves one component on each side instead of two whole paths. Without it, nothing is linked
// here. Either way the caller redoes each name not linked with its own per-entry code, so an
// error (its wording, the file it names) and the EXDEV fallback to a copy stay that code's.
import { native } from '../native/native.js';
import { asBuffer, type FsPath } from './walk.js';

const NUL = Buffer.from([0]);

/**
 * Whether linkBatch can link anything: without the addon, or with a build older than
 * native/links.c (a package updated without its install step), every name comes back.
 */
export const batchLinking = typeof native?.linkNames === 'function';

/** Link each of `names` (raw bytes) from srcDir into dstDir; returns the names it did not link. */
export function linkBatch(srcDir: FsPath, dstDir: FsPath, names: Buffer[]): Buffer[] {
  if (!batchLinking || names.length === 0) return names;
  const errs = new Int32Array(names.length);
  const joined = Buffer.concat(names.flatMap((n) => [n, NUL]));
  const done = native!.linkNames(asBuffer(srcDir), asBuffer(dstDir), joined, errs);
  if (done < 0) return names; // a directory would not open: the per-entry code says why
  return names.filter((_, i) => i >= done || errs[i] !== 0);
}
