// Reading a layer's files with their CRC-64 (files.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

/** Status of opening or reading one file, besides -errno. */
enum { FILE_OK = 0, FILE_NOT_REGULAR = 2, FILE_SIZE_DIFFERS = 3 };

/**
 * Open a file (`path` relative to `dirfd`, or whole with AT_FDCWD) for reading as
 * ConfinedRoot.openFile does (the last component with O_NOFOLLOW, a FIFO without blocking) and
 * check it is a regular file of `size` bytes: FILE_OK with *fd set, else the status (-errno,
 * FILE_NOT_REGULAR, FILE_SIZE_DIFFERS) and no descriptor.
 */
int32_t open_one(int dirfd, const char *path, size_t size, int *fd);
/**
 * Read the rest of an opened file, from byte `got` (its offset) to `size`, into dst, close it,
 * and put the CRC-64 of dst[0..size) into crc_be (big-endian).
 */
int32_t read_opened(int fd, size_t size, size_t got, uint8_t *dst, uint8_t crc_be[8]);

/**
 * pread up to `len` bytes at `pos` (fewer only at end of file), with the CRC-64 of what was read
 * folded into *crc. Returns the count read, or -errno.
 */
int64_t read_range(int fd, uint64_t pos, uint8_t *out, size_t len, uint64_t *crc);
