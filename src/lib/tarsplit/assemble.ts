// Reassembly of a tar stream from tar-split entries and a file root (formats.md §5.5).
import { closeSync, readSync } from 'node:fs';
import { Crc64 } from '../crc64/crc64.js';
import { CrcOffload } from '../crc64/offload.js';
import { ShortReadError } from '../fs/read-errors.js';
import { latin1 } from '../fs/gopath.js';
import type { ConfinedRoot } from '../fs/confined.js';
import { native } from '../native/native.js';
import { copyReadAhead } from './readahead.js';
import { BATCH_FILE_MAX, FileBatcher } from './batch.js';
import { FILE_TYPE, type Entry } from './entry.js';
import { CrcMismatchError } from './errors.js';

export interface AssembleResult {
  /** Sum of entry sizes: Docker's layer "size" (regular-file payload bytes). */
  size: number;
  /** Bytes of tar stream produced. */
  bytes: number;
  files: number;
}

const CHUNK = 1 << 20;
/** Without the native addon, files from this size on may be read and CRC'd by a helper thread (crc64/offload.ts). */
export const OFFLOAD_MIN = 32 << 20;

/**
 * Without the native addon, asked before each chunk of a big file: may a helper thread take its
 * reads and CRC-64 now? The checksum pool answers yes while fewer layers run than it has
 * workers, so a core is free; the answer can change in the middle of a file, and the helper
 * then goes on from the reader's CRC state.
 */
export type HelperGate = () => boolean;

/**
 * Feed the reassembled tar stream to `sink` chunk by chunk. The sink must consume each chunk
 * before returning (the buffer is reused). Like Go, the whole file is copied (not just `size`
 * bytes) and the CRC is compared afterwards.
 */
export async function assemble(
  entries: AsyncIterable<Entry>,
  root: ConfinedRoot,
  sink: (chunk: Buffer) => void,
  opts: { helper?: HelperGate } = {},
): Promise<AssembleResult> {
  let buf: Buffer | undefined; // the portable path's read buffer
  let size = 0, bytes = 0, files = 0;
  const emit = (chunk: Buffer) => {
    sink(chunk);
    bytes += chunk.length;
  };
  // With the native addon files are read on libuv threads, ahead of the hashing: small ones in
  // batches (batch.ts), bigger ones chunk by chunk (readahead.ts).
  const batcher = native ? new FileBatcher(native, root, emit) : undefined;
  try {
    for await (const e of entries) {
      if (e.type !== FILE_TYPE) {
        if (!e.payload || !e.payload.length) continue;
        if (batcher?.busy) batcher.segment(e.payload);
        else emit(e.payload);
        continue;
      }
      size += e.size;
      if (e.size === 0) continue;
      // A NUL can only come from a crafted name_raw; the portable path refuses it with Node's own error.
      if (batcher && e.size <= BATCH_FILE_MAX && !e.name.includes(0)) {
        await batcher.file(e);
        continue;
      }
      await batcher?.drain();
      const { fd, size: onDisk } = root.openFile(latin1(e.name));
      let digest: Buffer;
      try {
        // Go copies the whole file and compares CRCs; a file whose size differs from the entry's
        // can only fail that comparison, so it fails here without being read. Otherwise exactly
        // `size` bytes are read (no extra read to see EOF). Blocking reads: assembly runs in a
        // worker thread (see ConfinedRoot).
        if (onDisk !== e.size) throw new CrcMismatchError(e.name.toString('utf8'));
        const addon = native;
        digest = await crcOf(e.name, () =>
          addon ? copyReadAhead(addon, fd, e.size, emit, batcher?.idleBuffers()) : copyFile(fd, e.size, (buf ??= Buffer.allocUnsafe(CHUNK)), emit, e.size >= OFFLOAD_MIN ? opts.helper : undefined),
        );
      } finally {
        closeSync(fd);
      }
      files++;
      if (!e.payload || !digest.equals(e.payload)) throw new CrcMismatchError(e.name.toString('utf8'));
    }
    await batcher?.drain();
  } finally {
    await batcher?.release();
  }
  return { size, bytes, files: files + (batcher?.files ?? 0) };
}

/** A file that ends early (it shrank since fstat) fails its CRC check, as it would in Go. */
async function crcOf(name: Buffer, copy: () => Buffer | Promise<Buffer>): Promise<Buffer> {
  try {
    return await copy();
  } catch (e) {
    if (e instanceof ShortReadError) throw new CrcMismatchError(name.toString('utf8'));
    throw e;
  }
}

/**
 * Without the native addon: read in this thread; from the moment the gate opens, a helper thread
 * reads the rest and computes its CRC-64 (crc64/offload.ts) while this thread hashes.
 */
function copyFile(fd: number, size: number, buf: Buffer, sink: (chunk: Buffer) => void, helper?: HelperGate): Buffer {
  const crc = new Crc64();
  for (let left = size; left > 0; ) {
    if (helper?.()) {
      const off = CrcOffload.get();
      if (off.ready()) return off.copy(fd, size - left, left, crc.save(), sink);
    }
    const bytesRead = readSync(fd, buf, 0, Math.min(CHUNK, left), null);
    if (bytesRead === 0) throw new ShortReadError();
    left -= bytesRead;
    const chunk = buf.subarray(0, bytesRead);
    crc.update(chunk);
    sink(chunk);
  }
  return crc.digest();
}
