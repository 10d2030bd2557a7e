// Reassembly of a tar stream from tar-split entries and a file root (formats.md §5.5).
import { closeSync, readSync } from 'node:fs';
import { Crc64 } from '../crc64/crc64.js';
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

/**
 * Feed the reassembled tar stream to `sink` chunk by chunk. The sink must consume each chunk
 * before returning (the buffer is reused). Like Go, the whole file is copied (not just `size`
 * bytes) and the CRC is compared afterwards.
 */
export async function assemble(
  entries: AsyncIterable<Entry>,
  root: ConfinedRoot,
  sink: (chunk: Buffer) => void,
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
    const crc = new Crc64();
    try {
      // Go copies the whole file and compares CRCs; a file whose size differs from the entry's
      // can only fail that comparison, so it fails here without being read. Otherwise exactly
      // `size` bytes are read (no extra read to see EOF). Blocking reads: assembly runs in a
      // worker thread (see ConfinedRoot).
      if (onDisk !== e.size) throw new CrcMismatchError(e.name.toString('utf8'));
      for (let left = e.size; left > 0; ) {
        const bytesRead = readSync(fd, buf, 0, Math.min(CHUNK, left), null);
        if (bytesRead === 0) throw new CrcMismatchError(e.name.toString('utf8')); // shrank since fstat
        left -= bytesRead;
        const chunk = buf.subarray(0, bytesRead);
        crc.update(chunk);
        sink(chunk);
        bytes += bytesRead;
      }
    } finally {
      closeSync(fd);
    }
    files++;
    if (!e.payload || !crc.digest().equals(e.payload)) throw new CrcMismatchError(e.name.toString('utf8'));
  }
  return { size, bytes, files };
}
