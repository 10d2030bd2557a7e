// Windows of a big file mapped instead of read (mapped.c): the hashing thread reads the page
// cache in place, so a byte is copied by no one (a read(2) copied each once: ≈ 11% of the
// mix's CPU, docs/performance.md).
#pragma once
#include <stddef.h>
#include <stdint.h>

struct mapped {
  uint8_t *addr;
  size_t len;
  int fd;       // the file's, open while the window is in use
  uint64_t pos; // where in the file the window starts
  int slot;     // in the table the SIGBUS handler looks at; -1 once released
};

/**
 * Map `len` bytes of `fd` at `pos` (a multiple of the page size) read-only, register the window
 * with the SIGBUS handler, touch every page while folding the bytes into *crc. Returns the count
 * mapped (`len`, or fewer when the file ended early: its size changed), 0 when a page vanished
 * because it was cut short meanwhile, or -errno with nothing left mapped: ENODEV and the like where the file cannot be
 * mapped, EBUSY when the table is full, EIO when a page could not be read though the file still
 * covers it (a disk error: read(2) then says which).
 */
int64_t mapped_open(int fd, uint64_t pos, size_t len, uint64_t *crc, struct mapped *m);

/**
 * Unmap the window. Returns 1 if any of its pages was gone when touched (the file was truncated
 * while mapped, or the page could not be read from the disk: the handler put a page of zeros
 * there so the reader could go on), else 0; mapped_shrunk tells the two apart.
 */
int mapped_close(struct mapped *m);

/**
 * Whether the file is now shorter than the window's end, to be asked once the window has been
 * read, while its descriptor is still open. A cut inside the window's last page vanishes no
 * page (the kernel zeroes the page's tail), so no SIGBUS tells of it: only the size does. A
 * file cut after this question was read whole, as a read(2) would have read it.
 */
int mapped_shrunk(const struct mapped *m);
