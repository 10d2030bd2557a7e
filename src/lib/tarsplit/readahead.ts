// Files too big for the native loop (over 1 MiB, native/tsassemble.c): the next chunk is mapped
// (or read) and its CRC-64 computed on a libuv thread while this thread hashes the chunk before.
// The layer's thread then only hashes SHA-256: the bench's 1 GiB file took ≈ 0.8 s with the reads
// and CRC on its own thread and ≈ 0.68 s this way, its SHA-256 alone being ≈ 0.65 s
// (docs/performance.md). One chunk in flight at a time keeps the CRC's order, and is enough: a
// chunk is mapped and CRC'd several times faster than it is hashed.
//
// Mapped, not read: the hashing thread reads the page cache in place instead of a copy of it
// (native/mapped.c says how a file truncated meanwhile is caught without ending the process).
// Where a file cannot be mapped, the rest of it is read into `bufs`, the same bytes.
import { readError, ShortReadError } from '../fs/read-errors.js';
import type { NativeAddon } from '../native/native.js';

/**
 * A mapped window: 2 MiB. Two per worker are mapped at once (one hashed, one ahead) and their
 * pages count in the process's RSS; on the mix, 1 MiB windows were no faster than reading (a
 * mmap, a munmap and its TLB flush per MiB), 4 MiB no faster than 2 MiB. The host root's peak
 * RSS was the same with 2 MiB windows as with reads (152-156 MiB both, three pairs).
 */
const WINDOW = 2 << 20;

/** A chunk ready to hash: its bytes, and the window to unmap once hashed (when mapped). */
interface Chunk {
  data: Buffer;
  window?: ArrayBuffer;
}

/**
 * Feed exactly `size` bytes of `fd` to `sink` (a chunk is gone once the sink returns: the sink
 * must not keep it) and return their CRC-64, big-endian. The caller closes `fd` only after this
 * settles. `bufs`: two equal buffers, the size of a chunk, to read into in turn where the file
 * cannot be mapped (the layer's two output buffers, idle while a big file streams: 2 MiB chunks
 * were as fast as 4 MiB on the bench's 1 GiB file).
 */
export async function copyReadAhead(addon: NativeAddon, fd: number, size: number, sink: (chunk: Buffer) => void, bufs: [Buffer, Buffer]): Promise<Buffer> {
  const chunk = bufs[0].length;
  const crc = Buffer.alloc(8);
  let mapping = typeof addon.mapRangeAsync === 'function'; // a build from before mapped.c reads
  const next = async (pos: number, k: number): Promise<Chunk> => {
    if (mapping) {
      const r = await addon.mapRangeAsync(fd, pos, Math.min(WINDOW, size - pos), crc);
      if (typeof r !== 'number') return { data: Buffer.from(r), window: r };
      if (r === 0) throw new ShortReadError();
      // Not mappable here, no window free, or a page unreadable: read the rest, from this chunk
      // on (a read says what is wrong with the disk, or gives the bytes after all).
      mapping = false;
    }
    const got = await addon.readRangeAsync(fd, pos, bufs[k].subarray(0, Math.min(chunk, size - pos)), crc);
    if (got < 0) throw readError(got);
    if (got === 0) throw new ShortReadError();
    return { data: bufs[k].subarray(0, got) };
  };
  let pending: Promise<Chunk> | undefined = size > 0 ? next(0, 0) : undefined;
  try {
    for (let pos = 0, k = 0; pending; k ^= 1) {
      const c = await pending;
      pending = undefined;
      pos += c.data.length;
      if (pos < size) pending = next(pos, k ^ 1);
      try {
        sink(c.data);
      } finally {
        // Pages of a window that vanished while it was hashed read as zeros, and a cut in its
        // last page zeroes that page's tail: either way the file shrank, and unmapRange says so
        // (or that a page could not be read from the disk at all).
        const lost = c.window ? addon.unmapRange(c.window) : 0;
        if (lost > 0) throw new ShortReadError();
        if (lost < 0) throw readError(lost);
      }
    }
    return crc;
  } finally {
    // A chunk still in flight reads the fd (and its window must be unmapped): wait for it.
    if (pending) {
      const c = await pending.catch(() => undefined);
      if (c?.window) addon.unmapRange(c.window);
    }
  }
}
