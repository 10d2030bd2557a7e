// Why by hand: C has no hash set, and this one only ever grows (a layer's names are checked for
// duplicates, as tar-split's unpacker does, and dropped with the layer): open addressing, FNV-1a
// hashes. Its memory is mapped straight from the kernel and unmapped when done: grown with
// malloc/realloc, glibc's per-thread arenas kept ≈ 34 MiB each after two big layers, 40 MiB of
// the process's peak (docs/performance.md).
#include "nameset.h"

#include <string.h>
#include <sys/mman.h>

#define BLOCK (1u << 20)

struct block {
  struct block *prev;
  size_t size;
};

static void *map(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

uint64_t nameset_hash(const uint8_t *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
  return h;
}

static uint32_t len_of(const uint8_t *name) {
  uint32_t n;
  memcpy(&n, name, 4);
  return n;
}

static size_t find(const struct nameset *set, const uint8_t *s, size_t n, uint64_t hash, int *found) {
  size_t mask = set->cap - 1, i = hash & mask;
  for (;; i = (i + 1) & mask) {
    const struct slot *sl = &set->slots[i];
    if (!sl->name) break;
    if (sl->hash == hash && len_of(sl->name) == n && memcmp(sl->name + 4, s, n) == 0) {
      *found = 1;
      return i;
    }
  }
  *found = 0;
  return i;
}

int nameset_has(const struct nameset *set, const uint8_t *s, size_t n, uint64_t hash) {
  if (!set->count) return 0;
  int found;
  find(set, s, n, hash, &found);
  return found;
}

static int grow(struct nameset *set) {
  size_t cap = set->cap ? set->cap * 2 : 4096;
  struct slot *slots = map(cap * sizeof *slots); // zeroed
  if (!slots) return -1;
  for (size_t i = 0; i < set->cap; i++) {
    struct slot sl = set->slots[i];
    if (!sl.name) continue;
    size_t j = sl.hash & (cap - 1);
    while (slots[j].name) j = (j + 1) & (cap - 1);
    slots[j] = sl;
  }
  if (set->slots) munmap(set->slots, set->cap * sizeof *set->slots);
  set->slots = slots;
  set->cap = cap;
  return 0;
}

static uint8_t *keep(struct nameset *set, const uint8_t *s, size_t n) {
  size_t need = (4 + n + 7) & ~(size_t)7;
  if (need > set->left) {
    size_t size = sizeof(struct block) + need > BLOCK ? sizeof(struct block) + need : BLOCK;
    struct block *b = map(size);
    if (!b) return NULL;
    *b = (struct block){ set->blocks, size };
    set->blocks = b;
    set->next = (uint8_t *)(b + 1);
    set->left = size - sizeof *b;
  }
  uint8_t *name = set->next;
  uint32_t len = (uint32_t)n;
  memcpy(name, &len, 4);
  memcpy(name + 4, s, n);
  set->next += need;
  set->left -= need;
  return name;
}

int nameset_add(struct nameset *set, const uint8_t *s, size_t n, uint64_t hash) {
  if (n > UINT32_MAX) return -1;
  if ((set->count + 1) * 2 > set->cap && grow(set)) return -1; // at most half full
  const uint8_t *name = keep(set, s, n);
  if (!name) return -1;
  int found;
  size_t i = find(set, s, n, hash, &found);
  set->slots[i] = (struct slot){ hash, name };
  set->count++;
  return 0;
}

void nameset_free(struct nameset *set) {
  if (set->slots) munmap(set->slots, set->cap * sizeof *set->slots);
  for (struct block *b = set->blocks, *prev; b; b = prev) {
    prev = b->prev;
    munmap(b, b->size);
  }
  memset(set, 0, sizeof *set);
}
