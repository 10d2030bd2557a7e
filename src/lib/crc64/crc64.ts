// CRC-64 as Go's hash/crc64 with the ISO table (tar-split's per-file checksum, formats.md §5.3):
// hash-wasm's CRC-64 given the ISO polynomial (reflected 0xD800000000000000), about twice as fast
// as the slicing-by-8 JS this file used to hold (docs/performance.md).
// One WASM hasher per thread serves every Crc64 object: an object that is not the current user
// saves the other's state and loads its own, so interleaved checksums stay correct while the
// common case (one file at a time) never pays for the switch.
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';

// The CRC-64 bundle alone (8 KB), by require: importing the package entry makes Node's ESM
// loader lex its 280 KB CommonJS index, which cost ~60 ms in every worker thread's start-up.
const { createCRC64 } = createRequire(import.meta.url)('hash-wasm/dist/crc64.umd.min.js') as typeof import('hash-wasm');
const ISO = 'd800000000000000';
const wasm: IHasher = await createCRC64(ISO);
let owner: Crc64 | undefined;

/** Incremental Go-ISO CRC-64. */
export class Crc64 {
  private state?: Uint8Array;

  private claim(): void {
    if (owner === this) return;
    if (owner) owner.state = wasm.save();
    if (this.state) wasm.load(this.state);
    else wasm.init();
    owner = this;
  }

  update(buf: Uint8Array): this {
    this.claim();
    wasm.update(buf);
    return this;
  }

  /** The running state, to go on elsewhere with Crc64.resume (another thread too). The object is spent afterwards. */
  save(): Uint8Array {
    this.claim();
    owner = undefined;
    return wasm.save();
  }

  /** Continue a checksum from a state save() returned. */
  static resume(state: Uint8Array): Crc64 {
    const c = new Crc64();
    c.state = Uint8Array.from(state);
    return c;
  }

  /** The 8-byte checksum, big-endian, as tar-split stores it. The object is spent afterwards. */
  digest(): Buffer {
    this.claim();
    owner = undefined;
    return Buffer.from(wasm.digest('binary'));
  }
}

export function crc64(buf: Uint8Array): Buffer {
  return new Crc64().update(buf).digest();
}
