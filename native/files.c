// Opening and reading one file of a layer, and a range of a big one, with its CRC-64. Same
// rules as ConfinedRoot.openFile + assemble: the final component is opened with O_NOFOLLOW (the
// caller has checked the directories), FIFOs do not block, a file whose size differs from the
// entry's fails without being read.
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc64.h"

int32_t open_one(int dirfd, const char *path, size_t size, int *fd) {
  *fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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

int32_t read_opened(int fd, size_t size, size_t got, uint8_t *dst, uint8_t crc_be[8]) {
  int32_t status = FILE_OK;
  while (status == FILE_OK && got < size) {
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
