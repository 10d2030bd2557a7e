// Path A's per-entry loop: parse a tar-split line, check its name, open, read and CRC-check its
// file, copy the tar stream's bytes out, in C. The same loop in JavaScript cost ≈ 22 µs a file
// (docs/performance.md); here it costs the system calls. The rules are those of reader.ts,
// assemble.ts and ConfinedRoot, and wherever this loop meets a line it does not take on, or
// any failure at all, it stops before that line: JavaScript reads the line (and gives the error
// the portable path gives), then calls back. So errors and their order are the portable path's.
//
// Files are opened a group at a time, relative to the layer's root opened once (a whole path
// walked the root's five or six components again for every file), and their data asked for
// (POSIX_FADV_WILLNEED) before the first is read: from a cold page cache, one small file after
// another kept one request in flight, and the Go migrator's goroutines beat us by half. Warm,
// that advice was one more system call per file: each file is first read at once with
// RWF_NOWAIT, which takes what the page cache holds and never waits for the disk, and only the
// files it could not finish are advised and read in the second pass.
#define _GNU_SOURCE // O_PATH, preadv2
#include "tsassemble.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "files.h"
#include "gopath.h"
#include "jsonline.h"

#define GROUP 32
#define RECORDS 128
/** Longer lines (a segment of big pax headers, say) go to JavaScript, whose limit is far larger. */
#define LINE_MAX_HERE (1u << 20)

struct ts_layer *ts_layer_new(const char *root, size_t root_len) {
  struct ts_layer *l = calloc(1, sizeof *l);
  if (!l || !(l->root = malloc(root_len + 1))) {
    free(l);
    return NULL;
  }
  memcpy(l->root, root, root_len);
  l->root[root_len] = 0;
  l->root_len = root_len;
  l->root_fd = open(l->root, O_PATH | O_DIRECTORY | O_CLOEXEC); // failing, whole paths say why
  l->nowait = 1;
  return l;
}

void ts_layer_free(struct ts_layer *l) {
  if (!l) return;
  nameset_free(&l->seen);
  nameset_free(&l->dirs);
  free(l->scratch);
  free(l->keys);
  free(l->root);
  if (l->root_fd >= 0) close(l->root_fd);
  free(l);
}

int ts_seen(struct ts_layer *l, const uint8_t *key, size_t len) {
  uint64_t h = nameset_hash(key, len);
  if (nameset_has(&l->seen, key, len, h)) return 1;
  return nameset_add(&l->seen, key, len, h);
}

static int room(uint8_t **buf, size_t *have, size_t need) {
  if (*have >= need) return 0;
  size_t n = *have ? *have : 4096;
  while (n < need) n *= 2;
  uint8_t *b = realloc(*buf, n);
  if (!b) return -1;
  *buf = b;
  *have = n;
  return 0;
}

/** root + "/" + rel[0..n) into path (PATH_MAX); 0, or -1 when too long. */
static int join(const struct ts_layer *l, const uint8_t *rel, size_t n, char path[PATH_MAX]) {
  if (l->root_len + 1 + n >= PATH_MAX) return -1;
  memcpy(path, l->root, l->root_len);
  path[l->root_len] = '/';
  memcpy(path + l->root_len + 1, rel, n);
  path[l->root_len + 1 + n] = 0;
  return 0;
}

/** rel[0..n) as a path to open from *dirfd: relative to the root's fd, or whole. 0, or -1 when too long. */
static int at(const struct ts_layer *l, const uint8_t *rel, size_t n, char path[PATH_MAX], int *dirfd) {
  if (l->root_fd < 0) {
    *dirfd = AT_FDCWD;
    return join(l, rel, n, path);
  }
  if (n >= PATH_MAX) return -1;
  memcpy(path, rel, n);
  path[n] = 0;
  *dirfd = l->root_fd;
  return 0;
}

/** ConfinedRoot.checkDir for every directory of rel: each must be a directory, not a symlink. */
static int dirs_ok(struct ts_layer *l, const uint8_t *rel, size_t n) {
  const uint8_t *last = NULL;
  for (size_t i = n; i-- > 0;)
    if (rel[i] == '/') {
      last = rel + i;
      break;
    }
  if (!last) return 0;
  size_t parent = (size_t)(last - rel);
  if (nameset_has(&l->dirs, rel, parent, nameset_hash(rel, parent))) return 0;
  for (size_t i = 1; i <= parent; i++) {
    if (i < parent && rel[i] != '/') continue;
    uint64_t h = nameset_hash(rel, i);
    if (nameset_has(&l->dirs, rel, i, h)) continue;
    char path[PATH_MAX];
    struct stat st;
    int dirfd;
    if (at(l, rel, i, path, &dirfd) || fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) return -1;
    if (nameset_add(&l->dirs, rel, i, h)) return -1;
  }
  return 0;
}

/**
 * What of an opened file the page cache holds, read now without waiting for the disk (from the
 * file's offset, which it advances): the count read, 0 if none (or RWF_NOWAIT is not there).
 */
static size_t read_cached(struct ts_layer *l, int fd, uint8_t *dst, size_t size) {
#ifdef RWF_NOWAIT
  size_t got = 0;
  while (l->nowait && got < size) {
    struct iovec v = { dst + got, size - got };
    ssize_t k = preadv2(fd, &v, 1, -1, RWF_NOWAIT);
    if (k > 0) {
      got += (size_t)k;
      continue;
    }
    // EAGAIN: on disk; 0: shorter than fstat said (the read pass finds out); anything else: a
    // kernel or file system without it, or a read error the read pass reports.
    if (k < 0 && (errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) l->nowait = 0;
    break;
  }
  return got;
#else
  (void)l, (void)fd, (void)dst, (void)size;
  return 0;
#endif
}

enum { R_SKIP, R_SEGMENT, R_EMPTY_FILE, R_FILE };

/** A line taken on in the first pass of a group, finished in the second. */
struct record {
  int kind;
  size_t line, next; // where the line starts in the input, and the next one
  size_t off;        // where its bytes go in the output
  uint64_t size, got; // got: bytes of the file read in the first pass
  int fd;
  uint8_t crc[8];
  size_t key, key_len; // cleaned name, in l->keys
  uint64_t hash;
};

static int in_group(const struct ts_layer *l, const struct record *rs, size_t n, const uint8_t *key, size_t len, uint64_t hash) {
  for (size_t i = 0; i < n; i++)
    if (rs[i].kind >= R_EMPTY_FILE && rs[i].hash == hash && rs[i].key_len == len && memcmp(l->keys + rs[i].key, key, len) == 0) return 1;
  return 0;
}

/**
 * First pass: take on lines from r->pos until the group is full, the input ends, the output
 * would overflow or a line is not ours (r->stop says which; r->pos is left at that line).
 * Segments are copied out and files opened; nothing is read yet.
 */
static size_t take_group(struct ts_layer *l, struct ts_run *r, struct record *rs) {
  size_t n = 0, opened = 0, off = r->produced, keys_used = 0, pos = r->pos;
  r->stop = -1;
  while (n < RECORDS && opened < GROUP) {
    const uint8_t *line = r->in + pos, *nl = memchr(line, '\n', r->in_len - pos);
    if (!nl) {
      r->stop = TS_INPUT_DONE;
      break;
    }
    size_t len = (size_t)(nl - line);
    struct ts_entry e;
    if (len > LINE_MAX_HERE || room(&l->scratch, &l->scratch_room, 2 * len + 1) || ts_parse_line(line, len, &e, l->scratch)) goto bail;
    struct record rec = { .kind = R_SKIP, .line = pos, .next = pos + len + 1, .off = off, .fd = -1 };
    int full = 0;
    if (e.type == TS_SEGMENT) {
      long k = e.payload ? ts_b64_len(e.payload, e.payload_len) : 0;
      if (k < 0) goto bail;
      if (k > 0) {
        if (off + (size_t)k > r->out_room) full = 1;
        else if (ts_b64_decode(e.payload, e.payload_len, r->out + off) != k) goto bail;
        else {
          rec.kind = R_SEGMENT;
          rec.size = (uint64_t)k;
        }
      }
    } else {
      if (room(&l->keys, &l->keys_room, keys_used + e.name_len + 1)) goto bail;
      uint8_t *key = l->keys + keys_used;
      size_t klen = go_clean(e.name, e.name_len, key);
      uint64_t h = nameset_hash(key, klen);
      if (nameset_has(&l->seen, key, klen, h) || in_group(l, rs, n, key, klen, h)) goto bail; // reader.ts names the duplicate
      rec.key = keys_used;
      rec.key_len = klen;
      rec.hash = h;
      rec.size = e.size;
      rec.kind = R_EMPTY_FILE;
      // reader.ts refuses a file's payload that is not an 8-byte CRC, whatever the file's size.
      if (e.payload && (ts_b64_len(e.payload, e.payload_len) != 8 || ts_b64_decode(e.payload, e.payload_len, rec.crc) != 8)) goto bail;
      if (e.size > 0) {
        if (e.size > TS_FILE_MAX || !e.payload || memchr(e.name, 0, e.name_len)) goto bail;
        if (off + e.size > r->out_room) full = 1;
        else {
          // relativeInRoot: a leading "/" stays inside the root, ".." climbing out of it is an escape.
          const uint8_t *rel = key;
          size_t rlen = klen;
          while (rlen && *rel == '/') rel++, rlen--;
          if (!rlen || (rlen >= 2 && rel[0] == '.' && rel[1] == '.' && (rlen == 2 || rel[2] == '/'))) goto bail;
          char path[PATH_MAX];
          int dirfd;
          if (dirs_ok(l, rel, rlen) || at(l, rel, rlen, path, &dirfd) || open_one(dirfd, path, (size_t)e.size, &rec.fd) != FILE_OK) goto bail;
          rec.got = read_cached(l, rec.fd, r->out + off, (size_t)e.size);
          if (rec.got < e.size) posix_fadvise(rec.fd, (off_t)rec.got, (off_t)(e.size - rec.got), POSIX_FADV_WILLNEED);
          rec.kind = R_FILE;
          opened++;
        }
      }
      if (!full) keys_used += klen;
    }
    if (full) {
      // Nothing fits in an empty buffer only for a segment longer than it: JavaScript's.
      r->stop = n == 0 && off == 0 ? TS_BAIL : TS_OUT_FULL;
      break;
    }
    off += rec.kind == R_SEGMENT || rec.kind == R_FILE ? rec.size : 0;
    rs[n++] = rec;
    pos = rec.next;
    continue;
  bail:
    r->stop = TS_BAIL;
    break;
  }
  return n;
}

/** Second pass: read the group's files in order; stop before the first that fails. 0, or -1. */
static int finish_group(struct ts_layer *l, struct ts_run *r, struct record *rs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    struct record *rec = &rs[i];
    int ok = 1;
    if (rec->kind == R_FILE) {
      uint8_t crc[8];
      ok = read_opened(rec->fd, (size_t)rec->size, (size_t)rec->got, r->out + rec->off, crc) == FILE_OK && memcmp(crc, rec->crc, 8) == 0;
      rec->fd = -1;
    }
    if (ok && rec->kind >= R_EMPTY_FILE) ok = nameset_add(&l->seen, l->keys + rec->key, rec->key_len, rec->hash) == 0;
    if (!ok) {
      for (size_t k = i + 1; k < n; k++)
        if (rs[k].fd >= 0) close(rs[k].fd);
      r->pos = rec->line;
      r->produced = rec->off;
      r->stop = TS_BAIL;
      return -1;
    }
    if (rec->kind == R_FILE) r->files++;
    if (rec->kind >= R_EMPTY_FILE) r->size += rec->size;
    r->pos = rec->next;
    r->produced = rec->off + (rec->kind == R_SEGMENT || rec->kind == R_FILE ? rec->size : 0);
  }
  return 0;
}

void ts_run(struct ts_layer *l, struct ts_run *r) {
  struct record rs[RECORDS];
  for (;;) {
    size_t n = take_group(l, r, rs);
    int stop = r->stop;
    if (finish_group(l, r, rs, n)) return;
    if (stop >= 0) {
      r->stop = stop;
      return;
    }
  }
}
