// Big files mapped a window at a time (mapped.h). A mapped file can be truncated under us — the
// source of an online pass is a live daemon's — and touching a page past the new end raises
// SIGBUS, which would end the process. So every window is registered in a small table, and a
// SIGBUS handler, installed once, puts a page of zeros over a vanished page of a registered
// window and notes it: the reader goes on, and the window's owner fails the file as a read that
// ended early would (the bytes read are thrown away). A cut inside a window's last page makes no
// page vanish — the kernel zeroes that page's tail — so the owner also looks at the file's size
// once the window is hashed (mapped_shrunk). A SIGBUS anywhere else gets what it would
// have had without the handler. mmap(2) in a signal handler is not on POSIX's list of
// async-signal-safe calls, but it is a plain system call that takes no lock of the caller's;
// the same trick keeps databases that map their files alive.
//
// What mapping gives up: the CRC-64 (on the thread that maps) and the SHA-256 (on the layer's
// thread) read the window's pages a few milliseconds apart, where a read(2) gave both one copy.
// A writer changing an image layer's file in place in between would go unseen by the CRC. Docker
// never writes into an image layer's files once it is committed (the checkpoints' cheap stamps
// rely on the same); what a live root can do to them — a removed image's files unlinked (the
// open descriptor keeps the pages), or a file truncated — is caught.
#define _GNU_SOURCE
#include "mapped.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc64.h"

/** Windows in use at once: two per big file being read (one hashed, one ahead), per worker. */
#define SLOTS 64

// GCC's __atomic builtins rather than <stdatomic.h>, which the compilers of the old hosts this
// tool is for (GCC 4.8 on CentOS 7) do not have; on these types they are lock-free, so the
// handler may use them.
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct {
  uintptr_t start, end; // start 0: free
  int faulted;
  int claimed;
} table[SLOTS];
static struct sigaction previous;
static uintptr_t page_size;
static int installed = -1; // 0 once the handler is in place, else an errno

static void on_sigbus(int sig, siginfo_t *si, void *ctx) {
  uintptr_t a = (uintptr_t)si->si_addr;
  if (si->si_code > 0) // raised by a fault, not sent
    for (int i = 0; i < SLOTS; i++) {
      uintptr_t s = LOAD(table[i].start), e = LOAD(table[i].end);
      if (!s || a < s || a >= e) continue;
      void *p = (void *)(a & ~(page_size - 1));
      if (mmap(p, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
      STORE(table[i].faulted, 1);
      return;
    }
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) previous.sa_sigaction(sig, si, ctx);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  // The default: the faulting access runs again and ends the process; a sent signal is sent again.
  signal(sig, SIG_DFL);
  if (si->si_code <= 0) raise(sig);
}

static void install(void) {
  page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
  struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_ONSTACK };
  sigemptyset(&sa.sa_mask);
  installed = sigaction(SIGBUS, &sa, &previous) == 0 ? 0 : errno;
}

int64_t mapped_open(int fd, uint64_t pos, size_t len, uint64_t *crc, struct mapped *m) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install);
  m->slot = -1;
  if (installed) return -installed;
  if (pos % page_size) return -EINVAL;
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -ENODEV; // read(2) says what is wrong with it
  if ((uint64_t)st.st_size <= pos) return 0;
  if ((uint64_t)st.st_size - pos < len) len = (size_t)((uint64_t)st.st_size - pos);
  int slot = -1;
  for (int i = 0; i < SLOTS && slot < 0; i++)
    if (__atomic_exchange_n(&table[i].claimed, 1, __ATOMIC_ACQ_REL) == 0) slot = i;
  if (slot < 0) return -EBUSY;
  void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)pos);
  if (p == MAP_FAILED) {
    int err = errno;
    STORE(table[slot].claimed, 0);
    return -err;
  }
  madvise(p, len, MADV_SEQUENTIAL);
  STORE(table[slot].faulted, 0);
  STORE(table[slot].end, (uintptr_t)p + len);
  STORE(table[slot].start, (uintptr_t)p);
  *m = (struct mapped){ .addr = p, .len = len, .fd = fd, .pos = pos, .slot = slot };
  // Touches every page here, on the reading thread, so the hashing thread finds them mapped.
  uint64_t c = crc64_update(*crc, p, len);
  // A cut that vanished no page is left to the owner's size check once the window is hashed.
  if (LOAD(table[slot].faulted)) {
    int shrunk = mapped_shrunk(m);
    mapped_close(m);
    // Cut short: the caller fails the file. A page that vanished though the file still covers
    // it could not be read (SIGBUS is also how a disk error reaches a mapping): read(2) says why.
    return shrunk ? 0 : -EIO;
  }
  *crc = c;
  return (int64_t)len;
}

int mapped_shrunk(const struct mapped *m) {
  struct stat st;
  return fstat(m->fd, &st) != 0 || (uint64_t)st.st_size < m->pos + m->len;
}

int mapped_close(struct mapped *m) {
  if (m->slot < 0) return 0;
  int faulted = LOAD(table[m->slot].faulted);
  munmap(m->addr, m->len);
  STORE(table[m->slot].start, 0);
  STORE(table[m->slot].end, 0);
  STORE(table[m->slot].claimed, 0);
  m->slot = -1;
  return faulted;
}
