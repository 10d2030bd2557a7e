// Linking a directory's plain files into a layer's new diff dir: the one syscall per file that
// a migration cannot avoid, made without resolving both whole paths each time and without a
// JavaScript call per file (docs/performance.md: the small-files layer's diff dir).
#define _GNU_SOURCE
#include "links.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

long link_names(const char *src_dir, const char *dst_dir, const char *names, size_t len, int32_t *errs, size_t max) {
  // O_PATH: nothing is read from either directory, only names resolved in them.
  int sfd = open(src_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (sfd < 0) return -errno;
  int dfd = open(dst_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    int e = errno;
    close(sfd);
    return -e;
  }
  size_t n = 0;
  for (size_t at = 0; at < len && n < max; n++) {
    const char *name = names + at;
    size_t l = strnlen(name, len - at);
    if (at + l == len) break; // no NUL: not a whole name
    errs[n] = linkat(sfd, name, dfd, name, 0) == 0 ? 0 : errno;
    at += l + 1;
  }
  close(sfd);
  close(dfd);
  return (long)n;
}
