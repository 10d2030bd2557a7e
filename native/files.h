// Reading a batch of small files with their CRC-64 (files.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

/** Status of one file of a batch, besides -errno. */
enum { FILE_OK = 0, FILE_NOT_READ = 1, FILE_NOT_REGULAR = 2, FILE_SIZE_DIFFERS = 3 };

struct file_batch {
  uint32_t n;
  const char *const *paths; // NUL-terminated, absolute
  const double *sizes;      // expected sizes; file i lands at the sum of the sizes before it
  uint8_t *out;
  uint8_t *crcs;   // 8 bytes per file, big-endian, as tar-split stores them
  int32_t *status; // FILE_* or -errno; files after the first failure stay FILE_NOT_READ
};

void read_batch(const struct file_batch *b);

/**
 * pread up to `len` bytes at `pos` (fewer only at end of file), with the CRC-64 of what was read
 * folded into *crc. Returns the count read, or -errno.
 */
int64_t read_range(int fd, uint64_t pos, uint8_t *out, size_t len, uint64_t *crc);
