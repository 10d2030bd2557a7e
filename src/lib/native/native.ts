// The optional native addon (native/*.c, built by `npm install` through node-gyp): CRC-64 with
// carry-less multiply, batched small-file reads and nanosecond-exact file times. Optional because it needs a compiler at
// install time; without it (or with CAS_MIGRATE_NATIVE=0) the same work runs in JavaScript and
// hash-wasm, byte for byte the same results, slower (docs/performance.md).
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** Go's crc64.Update over `data`; `state` holds the running CRC, big-endian, updated in place. */
  crc64Update(state: Uint8Array, data: Uint8Array, portable?: boolean): void;
  /**
   * Read whole files into `out` back to back (file i at the sum of the sizes before it), each
   * one's CRC-64 into `crcs` (8 bytes each, big-endian) and its status into `status`
   * (0 ok, 1 not read, 2 not a regular file, 3 size differs, else -errno). Stops at the first failure.
   */
  readFiles(paths: Array<string | Buffer>, sizes: Float64Array, out: Buffer, crcs: Buffer, status: Int32Array): void;
  /** The same on a libuv thread; the buffers must not be touched until it resolves. */
  readFilesAsync(paths: Array<string | Buffer>, sizes: Float64Array, out: Buffer, crcs: Buffer, status: Int32Array): Promise<void>;
  /**
   * Fill `out` from `position` of `fd` (less only at end of file) on a libuv thread, fold the
   * bytes into the CRC-64 `state` (big-endian, in place); resolves with the count read or -errno.
   * `out` and `state` must not be touched, nor `fd` closed, until it resolves.
   */
  readRangeAsync(fd: number, position: number, out: Uint8Array, state: Uint8Array): Promise<number>;
  /**
   * utimensat(2) without following a symlink: seconds as whole numbers, nanoseconds 0..999 999 999;
   * returns 0 or -errno.
   */
  lutimens(path: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number;
  /** Whether this CPU folds with PCLMULQDQ (else slicing-by-8 in C). */
  clmul: boolean;
}

export const FILE_OK = 0;
export const FILE_NOT_READ = 1;
export const FILE_NOT_REGULAR = 2;
export const FILE_SIZE_DIFFERS = 3;

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
  return `native addon (CRC-64 ${native.clmul ? 'PCLMULQDQ' : 'slicing-by-8'}, batched and read-ahead file reads)`;
}
