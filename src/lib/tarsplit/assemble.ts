// Reassembly of a tar stream from tar-split entries and a file root (formats.md §5.5).
import { closeSync, readSync } from 'node:fs';
import { Crc64 } from '../crc64/crc64.js';
import { CrcOffload } from '../crc64/offload.js';
import { latin1 } from '../fs/gopath.js';
import type { ConfinedRoot } from '../fs/confined.js';
import { native } from '../native/native.js';
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
/** Files from this size on may have their CRC-64 computed on a helper thread (crc64/offload.ts). */
export const OFFLOAD_MIN = 32 << 20;

/**
 * Asked before each chunk of a big file: may a helper thread take its CRC-64 now? The checksum
 * pool answers yes while fewer layers run than it has workers, so a core is free; the answer can
 * change in the middle of a file, and the helper then goes on from the reader's CRC state.
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
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0, bytes = 0, files = 0;
  const emit = (chunk: Buffer) => {
    sink(chunk);
    bytes += chunk.length;
  };
  // With the native addon small files are read in batches, ahead of the hashing (batch.ts).
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
        digest = copyFile(fd, e.size, e.name, buf, emit, e.size >= OFFLOAD_MIN ? opts.helper : undefined);
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

function copyFile(fd: number, size: number, name: Buffer, buf: Buffer, sink: (chunk: Buffer) => void, helper?: HelperGate): Buffer {
  const crc = new Crc64();
  for (let left = size; left > 0; ) {
    if (helper?.()) {
      const off = CrcOffload.get();
      if (off.ready()) {
        off.resume(crc.save());
        return copyOffloaded(fd, left, name, sink, off);
      }
    }
    const bytesRead = readSync(fd, buf, 0, Math.min(CHUNK, left), null);
    if (bytesRead === 0) throw new CrcMismatchError(name.toString('utf8')); // shrank since fstat
    left -= bytesRead;
    const chunk = buf.subarray(0, bytesRead);
    crc.update(chunk);
    sink(chunk);
  }
  return crc.digest();
}

/** The rest of a file with its CRC on the helper thread while this thread feeds the sink (SHA-256). */
function copyOffloaded(fd: number, size: number, name: Buffer, sink: (chunk: Buffer) => void, off: CrcOffload): Buffer {
  try {
    for (let left = size; left > 0; ) {
      const slot = off.slot();
      const bytesRead = readSync(fd, slot, 0, Math.min(slot.length, left), null);
      if (bytesRead === 0) throw new CrcMismatchError(name.toString('utf8'));
      left -= bytesRead;
      off.submit(bytesRead);
      sink(slot.subarray(0, bytesRead));
    }
  } catch (e) {
    off.finish(); // leave the helper ready for the next file
    throw e;
  }
  return off.finish();
}

