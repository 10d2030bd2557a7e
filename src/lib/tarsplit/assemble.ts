// Reassembly of a tar stream from tar-split entries and a file root (formats.md §5.5).
import { closeSync, readSync } from 'node:fs';
import { Crc64 } from '../crc64/crc64.js';
import { CrcOffload } from '../crc64/offload.js';
import { latin1 } from '../fs/gopath.js';
import type { ConfinedRoot } from '../fs/confined.js';
import { FILE_TYPE, type Entry } from './entry.js';

export class CrcMismatchError extends Error {
  constructor(readonly file: string) {
    super(`file integrity checksum failed for ${JSON.stringify(file)}`);
  }
}

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
  for await (const e of entries) {
    if (e.type !== FILE_TYPE) {
      if (e.payload && e.payload.length) {
        sink(e.payload);
        bytes += e.payload.length;
      }
      continue;
    }
    size += e.size;
    if (e.size === 0) continue;
    const { fd, size: onDisk } = root.openFile(latin1(e.name));
    let digest: Buffer;
    try {
      // Go copies the whole file and compares CRCs; a file whose size differs from the entry's
      // can only fail that comparison, so it fails here without being read. Otherwise exactly
      // `size` bytes are read (no extra read to see EOF). Blocking reads: assembly runs in a
      // worker thread (see ConfinedRoot).
      if (onDisk !== e.size) throw new CrcMismatchError(e.name.toString('utf8'));
      digest = copyFile(fd, e.size, e.name, buf, sink, e.size >= OFFLOAD_MIN ? opts.helper : undefined);
      bytes += e.size;
    } finally {
      closeSync(fd);
    }
    files++;
    if (!e.payload || !digest.equals(e.payload)) throw new CrcMismatchError(e.name.toString('utf8'));
  }
  return { size, bytes, files };
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

