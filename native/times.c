// Node's fs.utimes/lutimes take seconds as a double and libuv truncates them to microseconds
// (uv__fs_to_timespec), so a migrated tree would lose the last three digits of every time it
// sets. utimensat takes exact timespecs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "times.h"

int set_times_ns(const char *path, int64_t atime_sec, int32_t atime_nsec, int64_t mtime_sec, int32_t mtime_nsec) {
  struct timespec ts[2] = { { (time_t)atime_sec, atime_nsec }, { (time_t)mtime_sec, mtime_nsec } };
  return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}
