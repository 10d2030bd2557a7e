// CRC-64 as Go's hash/crc64 with the ISO table (tar-split's per-file checksum, formats.md §5.3).
// With the native addon: carry-less multiply in C (≈ 5× hash-wasm, docs/performance.md).
// Without it: hash-wasm's CRC-64 given the ISO polynomial (reflected 0xD800000000000000), about
// twice as fast as the slicing-by-8 JS this file used to hold.
// One WASM hasher per thread serves every Crc64 object: an object that is not the current user
// saves the other's state and loads its own, so interleaved checksums stay correct while the
// common case (one file at a time) never pays for the switch.
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';
import { native } from '../native/native.js';

// The CRC-64 bundle alone (8 KB), by require: importing the package entry makes Node's ESM
// loader lex its 280 KB CommonJS index, which cost ~60 ms in every worker thread's start-up.
const { createCRC64 } = createRequire(import.meta.url)('hash-wasm/dist/crc64.umd.min.js') as typeof import('hash-wasm');
const ISO = 'd800000000000000';
const wasm: IHasher | undefined = native ? undefined : await createCRC64(ISO);
let owner: Crc64 | undefined;

/** Incremental Go-ISO CRC-64. */
export class Crc64 {
  // Native: Go's running crc value, big-endian. WASM: the hasher's saved state while another object owns it.
  private state?: Uint8Array = native ? new Uint8Array(8) : undefined;

  private claim(w: IHasher): void {
    if (owner === this) return;
    if (owner) owner.state = w.save();
    if (this.state) w.load(this.state);
    else w.init();
    owner = this;
  }

  update(buf: Uint8Array): this {
    if (!wasm) native!.crc64Update(this.state!, buf);
    else {
      this.claim(wasm);
      wasm.update(buf);
    }
    return this;
  }

  /** The running state, to go on elsewhere with Crc64.resume (another thread too). The object is spent afterwards. */
  save(): Uint8Array {
    if (!wasm) return this.state!;
    this.claim(wasm);
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
    if (!wasm) return Buffer.from(this.state!);
    this.claim(wasm);
    owner = undefined;
    return Buffer.from(wasm.digest('binary'));
  }
}

export function crc64(buf: Uint8Array): Buffer {
  return new Crc64().update(buf).digest();
}
