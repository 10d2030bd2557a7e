// Files too big for the native loop (over 1 MiB, native/tsassemble.c): the next chunk is read,
// and its CRC-64 computed, on a libuv thread while this thread hashes the chunk before. The
// layer's thread then only hashes SHA-256: the bench's 1 GiB file took ≈ 0.8 s with the reads and CRC
// on its own thread and ≈ 0.68 s this way, its SHA-256 alone being ≈ 0.65 s (docs/performance.md).
// One read in flight at a time keeps the CRC's order, and is enough: a chunk is read and CRC'd
// several times faster than it is hashed.
import { readError, ShortReadError } from '../fs/read-errors.js';
import type { NativeAddon } from '../native/native.js';

/**
 * Feed exactly `size` bytes of `fd` to `sink` (each chunk is reused once the sink returns) and
 * return their CRC-64, big-endian. The caller closes `fd` only after this settles.
 * `bufs`: two equal buffers to read into, in turn (the layer's two output buffers, idle while a
 * big file streams: 2 MiB chunks were as fast as 4 MiB on the bench's 1 GiB file).
 */
export async function copyReadAhead(addon: NativeAddon, fd: number, size: number, sink: (chunk: Buffer) => void, bufs: [Buffer, Buffer]): Promise<Buffer> {
  const chunk = bufs[0].length;
  const crc = Buffer.alloc(8);
  const read = (pos: number, buf: Buffer) => addon.readRangeAsync(fd, pos, buf.subarray(0, Math.min(chunk, size - pos)), crc);
  let pending: Promise<number> | undefined = size > 0 ? read(0, bufs[0]) : undefined;
  try {
    for (let pos = 0, k = 0; pending; k ^= 1) {
      const got = await pending;
      pending = undefined;
      if (got < 0) throw readError(got);
      if (got === 0) throw new ShortReadError();
      pos += got;
      if (pos < size) pending = read(pos, bufs[k ^ 1]!);
      sink(bufs[k]!.subarray(0, got));
    }
    return crc;
  } finally {
    // A read still in flight writes into these buffers and reads the fd: wait for it.
    if (pending) await pending.catch(() => undefined);
  }
}
