// The optional native addon (native/*.c, built by `npm install` through node-gyp): CRC-64 with
// carry-less multiply, Path A's per-entry loop, big files mapped and read ahead, diff-dir links many names a call and nanosecond-exact file times. Optional because it needs a compiler at
// install time; without it (or with CAS_MIGRATE_NATIVE=0) the same work runs in JavaScript and
// hash-wasm, byte for byte the same results, slower (docs/performance.md).
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** Go's crc64.Update over `data`; `state` holds the running CRC, big-endian, updated in place. */
  crc64Update(state: Uint8Array, data: Uint8Array, portable?: boolean): void;
  /** A layer's state for Path A's native loop (native/tsassemble.c), reading files under `root`. */
  tarsplitOpen(root: string): TarSplitLayer;
  /** Free the layer's state now (its name set can hold megabytes); no run may be in flight. */
  tarsplitClose(layer: TarSplitLayer): void;
  /** Record a cleaned name read outside the loop; true if the layer listed it before. */
  tarsplitSeen(layer: TarSplitLayer, cleaned: Uint8Array): boolean;
  /**
   * On a libuv thread, take on whole lines of gunzipped tar-split `input` from `pos`, writing the
   * tar stream into `out` from 0; `result` gets [pos, produced, stop, size, files]: where it
   * stopped, the bytes written, why (0 no whole line left, 1 `out` full, 2 the line at pos is
   * for JavaScript), and Docker's size and the files read for the lines taken. No argument may
   * be touched until it resolves.
   */
  tarsplitRunAsync(layer: TarSplitLayer, input: Uint8Array, pos: number, out: Uint8Array, result: Float64Array): Promise<void>;
  /**
   * Fill `out` from `position` of `fd` (less only at end of file) on a libuv thread, fold the
   * bytes into the CRC-64 `state` (big-endian, in place); resolves with the count read or -errno.
   * `out` and `state` must not be touched, nor `fd` closed, until it resolves.
   */
  readRangeAsync(fd: number, position: number, out: Uint8Array, state: Uint8Array): Promise<number>;
  /**
   * Map `length` bytes of `fd` from `position` (a multiple of the page size) on a libuv thread
   * and fold them into the CRC-64 `state` (native/mapped.c); resolves with the window (shorter
   * only at end of file), 0 if the file ended before `position` or shrank while mapped, or -errno
   * if it cannot be mapped (-EIO: a page could not be read; read it to learn why). `state` must
   * not be touched, nor `fd` closed, until it resolves.
   */
  mapRangeAsync(fd: number, position: number, length: number, state: Uint8Array): Promise<ArrayBuffer | number>;
  /**
   * Unmap (and detach) a window of mapRangeAsync, before `fd` is closed: 0 if what was read is the
   * file's, 1 if the file shrank while it was mapped, -EIO if a page could not be read.
   */
  unmapRange(window: ArrayBuffer): number;
  /**
   * utimensat(2) without following a symlink: seconds as whole numbers, nanoseconds 0..999 999 999;
   * returns 0 or -errno.
   */
  lutimens(path: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number;
  /**
   * linkat(2) each NUL-terminated name of `names` from directory `srcDir` into `dstDir`, both
   * opened once (native/links.c); errs[i] gets 0 or the i-th name's errno. Returns the count of
   * names tried, or -errno when a directory cannot be opened (nothing linked).
   */
  linkNames(srcDir: Uint8Array, dstDir: Uint8Array, names: Uint8Array, errs: Int32Array): number;
  /** Whether this CPU folds with PCLMULQDQ (else slicing-by-8 in C). */
  clmul: boolean;
}

/** An opaque handle (a Node-API external). */
export type TarSplitLayer = { readonly __brand: 'TarSplitLayer' };

function load(): NativeAddon | undefined {
  if (process.env.CAS_MIGRATE_NATIVE === '0') return undefined;
  try {
    // From dist/src/lib/native/ to the package root, where node-gyp puts it.
    return createRequire(import.meta.url)('../../../../build/Release/cas_native.node') as NativeAddon;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined; // not built: npm install said why
    // A build that exists but does not load (another architecture, a broken copy) must not
    // stop a migration: the portable path computes the same bytes.
    process.emitWarning(`cas-migrate: native addon not loaded (${(e as Error).message}); using the portable path`);
  }
  return undefined;
}

export const native: NativeAddon | undefined = load();

/** For reports and the bench: which implementation runs. */
export function nativeSummary(): string {
  if (!native) return 'portable (JavaScript + hash-wasm CRC-64)';
  return `native addon (CRC-64 ${native.clmul ? 'PCLMULQDQ' : 'slicing-by-8'}, tar-split loop, ${typeof native.mapRangeAsync === 'function' ? 'big files mapped' : 'read-ahead of big files'}, batched links)`;
}
