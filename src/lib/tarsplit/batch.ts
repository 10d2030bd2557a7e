// Small files of a layer read in batches by the native addon: one call opens, reads and
// CRC-checks hundreds of files (a JavaScript open/fstat/read/close per file cost ≈ 30 µs, the
// same calls from C ≈ 8 µs), on a libuv thread while this thread hashes the batch before it, so
// a layer of small files keeps two cores busy. Entries keep their order: the tar segments
// between files wait in the batch with them.
import { getSystemErrorName } from 'node:util';
import { FILE_NOT_REGULAR, FILE_OK, FILE_SIZE_DIFFERS, type NativeAddon } from '../native/native.js';
import { latin1 } from '../fs/gopath.js';
import { notRegular, openFailure, type ConfinedRoot } from '../fs/confined.js';
import { CrcMismatchError } from './errors.js';
import type { FileEntry } from './entry.js';

/** Files up to this size go through batches; bigger ones stream in chunks (assemble.ts). */
export const BATCH_FILE_MAX = 1 << 20;
// 2 MiB: 4 MiB batches were no faster and cost 8 MiB more per worker (docs/performance.md).
const BATCH_BYTES = 2 << 20;
const BATCH_FILES = 512;

class Batch {
  readonly out = Buffer.allocUnsafe(BATCH_BYTES);
  readonly crcs = Buffer.allocUnsafe(8 * BATCH_FILES);
  readonly status = new Int32Array(BATCH_FILES);
  readonly sizes = new Float64Array(BATCH_FILES);
  /** Segments (Buffer) and files, in stream order. */
  items: Array<Buffer | FileEntry> = [];
  paths: Array<string | Buffer> = [];
  bytes = 0;
  reading?: Promise<void>;

  fits(size: number): boolean {
    return this.paths.length < BATCH_FILES && this.bytes + size <= BATCH_BYTES;
  }

  clear(): void {
    this.items = [];
    this.paths = [];
    this.bytes = 0;
    this.reading = undefined;
  }
}

/** Batches no layer is using, kept for the next layer of this thread (4 MiB a layer otherwise). */
const spare: Batch[] = [];

export class FileBatcher {
  private filling = spare.pop() ?? new Batch();
  private inFlight = spare.pop() ?? new Batch();
  files = 0;

  constructor(private readonly addon: NativeAddon, private readonly root: ConfinedRoot, private readonly sink: (chunk: Buffer) => void) {}

  /** Whether a segment must wait for files queued before it. */
  get busy(): boolean {
    return this.filling.items.length > 0 || this.inFlight.reading !== undefined;
  }

  segment(payload: Buffer): void {
    this.filling.items.push(payload);
  }

  /** Queue a file (size ≤ BATCH_FILE_MAX, > 0); may hand a full batch to the reader and emit the one before. */
  async file(e: FileEntry): Promise<void> {
    let path: string | Buffer;
    try {
      path = this.root.resolve(latin1(e.name));
    } catch (err) {
      // Errors keep stream order, as in Go: a file before this one that fails its CRC makes the
      // layer fall back to Path B, where this name (an escape, say) is never looked at.
      await this.drain();
      throw err;
    }
    if (!this.filling.fits(e.size)) await this.submit();
    const b = this.filling;
    b.sizes[b.paths.length] = e.size;
    b.paths.push(path);
    b.items.push(e);
    b.bytes += e.size;
  }

  /** Emit everything queued, in order. */
  async drain(): Promise<void> {
    await this.submit();
    await this.emit(this.inFlight);
  }

  /**
   * The two batch buffers, for a big file to be read ahead into (readahead.ts) while no batch is
   * queued: after drain(), until the next file(). A worker then holds 4 MiB of read buffers, not 8.
   */
  idleBuffers(): [Buffer, Buffer] {
    if (this.busy) throw new Error('batch buffers lent while a batch is queued');
    return [this.filling.out, this.inFlight.out];
  }

  /** Wait for any read still running into our buffers (after an error), then give them back. */
  async release(): Promise<void> {
    await Promise.allSettled([this.filling.reading, this.inFlight.reading]);
    for (const b of [this.filling, this.inFlight]) {
      b.clear();
      spare.push(b);
    }
  }

  /** Start reading the batch being filled, then hash the one before it meanwhile. */
  private async submit(): Promise<void> {
    const b = this.filling, before = this.inFlight;
    if (b.paths.length > 0) b.reading = this.addon.readFilesAsync(b.paths, b.sizes, b.out, b.crcs, b.status);
    else if (b.items.length > 0) b.reading = Promise.resolve(); // segments only
    this.inFlight = b;
    this.filling = before;
    await this.emit(before);
  }

  private async emit(b: Batch): Promise<void> {
    if (!b.reading) return;
    await b.reading;
    let i = 0, off = 0;
    for (const item of b.items) {
      if (Buffer.isBuffer(item)) {
        this.sink(item);
        continue;
      }
      check(item, b.status[i]!);
      if (!item.payload || b.crcs.compare(item.payload, 0, 8, 8 * i, 8 * i + 8) !== 0) throw new CrcMismatchError(item.name.toString('utf8'));
      this.sink(b.out.subarray(off, off + item.size));
      off += item.size;
      i++;
      this.files++;
    }
    b.clear();
  }
}

/** The error the portable path throws for the same file (ConfinedRoot.openFile, assemble). */
function check(e: FileEntry, status: number): void {
  if (status === FILE_OK) return;
  const name = latin1(e.name);
  if (status === FILE_NOT_REGULAR) throw notRegular(name);
  if (status === FILE_SIZE_DIFFERS) throw new CrcMismatchError(e.name.toString('utf8'));
  if (status < 0) {
    const code = getSystemErrorName(status);
    throw openFailure(name, { code, message: code });
  }
  throw new Error(`${JSON.stringify(name)}: not read (status ${status})`);
}
