// What the audit learns from the machine: free space and a read+hash rate.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statfsSync } from 'node:fs';
import { Crc64 } from '../lib/crc64/crc64.js';

export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** MB/s of read + SHA-256 + CRC-64 over up to `limit` bytes of the given files. Reads only. */
export function measureRate(files: string[], limit = 64 << 20): number | undefined {
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  const t = performance.now();
  for (const f of files) {
    if (bytes >= limit) break;
    let fd: number;
    try {
      fd = openSync(f, 'r');
    } catch {
      continue;
    }
    const sha = createHash('sha256'), crc = new Crc64();
    try {
      for (let n; bytes < limit && (n = readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) {
        sha.update(buf.subarray(0, n));
        crc.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  const s = (performance.now() - t) / 1000;
  return bytes > 0 && s > 0 ? bytes / 1e6 / s : undefined;
}
