// One call reads many small files: open, fstat, read, close and CRC-64 per file in C cost a
// quarter of the same calls made one by one from JavaScript (docs/performance.md), and a batch
// can be read on a libuv thread while the layer's thread hashes the batch before it.
// Same rules as ConfinedRoot.openFile + assemble: the final component is opened with
// O_NOFOLLOW (the caller has checked the directories), FIFOs do not block, a file whose size
// differs from the entry's fails without being read.
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc64.h"

/** Open one file of a batch and check it against its entry; FILE_OK with *fd set, or the status. */
static int32_t open_one(const char *path, size_t size, int *fd) {
  *fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0) return -errno;
  struct stat st;
  int32_t status = FILE_OK;
  if (fstat(*fd, &st) != 0) status = -errno;
  else if (!S_ISREG(st.st_mode)) status = FILE_NOT_REGULAR;
  else if ((size_t)st.st_size != size) status = FILE_SIZE_DIFFERS;
  if (status != FILE_OK) {
    close(*fd);
    *fd = -1;
  }
  return status;
}

static int32_t read_opened(int fd, size_t size, uint8_t *dst, uint8_t crc_be[8]) {
  int32_t status = FILE_OK;
  for (size_t got = 0; status == FILE_OK && got < size;) {
    ssize_t k = read(fd, dst + got, size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) status = -errno;
    else if (k == 0) status = FILE_SIZE_DIFFERS; // shrank since fstat
    else got += (size_t)k;
  }
  close(fd);
  if (status != FILE_OK) return status;
  uint64_t crc = crc64_update(0, dst, size);
  for (int i = 7; i >= 0; i--, crc >>= 8) crc_be[i] = (uint8_t)crc;
  return FILE_OK;
}

/*
 * Files are opened a group at a time and their data asked for (POSIX_FADV_WILLNEED) before the
 * first is read: from a cold page cache, reading one small file after another kept one request
 * in flight per thread, and the Go migrator's 3 × NumCPU goroutines beat us by half
 * (docs/performance.md). Asked for, the disk sees a group's reads at once. Warm, the advice finds
 * every page present and costs about a microsecond a file. Errors keep stream order: a file
 * that fails to open is reported after every file before it is read.
 */
#define GROUP 32

void read_batch(const struct file_batch *b) {
  size_t off = 0;
  uint32_t i = 0;
  int failed = 0;
  while (i < b->n && !failed) {
    int fds[GROUP];
    uint32_t g = 0, opened = 0;
    int32_t open_status = FILE_OK;
    for (; g < GROUP && i + g < b->n; g++) {
      open_status = open_one(b->paths[i + g], (size_t)b->sizes[i + g], &fds[g]);
      if (open_status != FILE_OK) break;
      if (b->sizes[i + g] > 0) posix_fadvise(fds[g], 0, (off_t)b->sizes[i + g], POSIX_FADV_WILLNEED);
      opened++;
    }
    for (uint32_t k = 0; k < opened; k++, i++) {
      size_t size = (size_t)b->sizes[i];
      if (failed) {
        close(fds[k]);
        b->status[i] = FILE_NOT_READ;
        continue;
      }
      b->status[i] = read_opened(fds[k], size, b->out + off, b->crcs + 8 * i);
      off += size;
      if (b->status[i] != FILE_OK) failed = 1;
    }
    if (!failed && open_status != FILE_OK) {
      b->status[i++] = open_status;
      failed = 1;
    }
  }
  for (; i < b->n; i++) b->status[i] = FILE_NOT_READ;
}

int64_t read_range(int fd, uint64_t pos, uint8_t *out, size_t len, uint64_t *crc) {
  size_t got = 0;
  while (got < len) {
    ssize_t k = pread(fd, out + got, len - got, (off_t)(pos + got));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return -errno;
    if (k == 0) break;
    got += (size_t)k;
  }
  *crc = crc64_update(*crc, out, got);
  return (int64_t)got;
}
