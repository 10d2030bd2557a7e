// Reassembly of a tar stream from tar-split entries and a file root (formats.md §5.5): the
// portable path (the per-file step both paths share is entry-file.ts).
import { readSync } from 'node:fs';
import { Crc64 } from '../crc64/crc64.js';
import { CrcOffload } from '../crc64/offload.js';
import { ShortReadError } from '../fs/read-errors.js';
import type { ConfinedRoot } from '../fs/confined.js';
import { FILE_TYPE, type Entry } from './entry.js';
import { copyEntryFile, type FileCopy } from './entry-file.js';

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
 * Feed the reassembled tar stream to `sink` chunk by chunk, in this thread (the path without the
 * native addon; with it, assemble-native.ts). The sink must consume each chunk before returning
 * (the buffer is reused).
 */
export async function assemble(
  entries: AsyncIterable<Entry>,
  root: ConfinedRoot,
  sink: (chunk: Buffer) => void,
  opts: { helper?: HelperGate } = {},
): Promise<AssembleResult> {
  let buf: Buffer | undefined;
  let size = 0, bytes = 0, files = 0;
  const emit = (chunk: Buffer) => {
    sink(chunk);
    bytes += chunk.length;
  };
  const copy: FileCopy = (fd, n) => copyFile(fd, n, (buf ??= Buffer.allocUnsafe(CHUNK)), emit, n >= OFFLOAD_MIN ? opts.helper : undefined);
  for await (const e of entries) {
    if (e.type !== FILE_TYPE) {
      if (e.payload?.length) emit(e.payload);
      continue;
    }
    size += e.size;
    if (e.size === 0) continue;
    await copyEntryFile(e, root, copy);
    files++;
  }
  return { size, bytes, files };
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
