// Setting a file's times to the nanosecond (times.c).
#pragma once
#include <stdint.h>

/**
 * utimensat(AT_FDCWD, path, {atime, mtime}, AT_SYMLINK_NOFOLLOW): the times of the entry itself,
 * a symlink's own times included. Returns 0 or -errno.
 */
int set_times_ns(const char *path, int64_t atime_sec, int32_t atime_nsec, int64_t mtime_sec, int32_t mtime_nsec);
