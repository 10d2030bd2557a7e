// The least a reader of a layer's files can do: for each regular file under a directory, open,
// read to the end into one buffer, close (nftw walks the tree; nothing is hashed or written).
// The bench times it to bound the processes it compares (bench/peers.ts, readFloor); `cat` does
// more per file (an fstat, an fadvise, a buffer per process).
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static char buf[1 << 20];

static int one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  if (type != FTW_F) return 0;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0; // a symlink or an unreadable entry: the processes bounded skip it too
  while (read(fd, buf, sizeof buf) > 0) {}
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: read-floor DIR\n");
    return 2;
  }
  return nftw(argv[1], one, 64, FTW_PHYS) == 0 ? 0 : 1;
}
