// A set of byte strings (nameset.c): the cleaned names a layer's tar-split has listed so far.
#pragma once
#include <stddef.h>
#include <stdint.h>

struct nameset {
  struct slot { uint64_t hash; const uint8_t *name; } *slots; // name: a 4-byte length, then the bytes; NULL: empty
  size_t cap, count;
  struct block *blocks; // where the names are kept
  uint8_t *next;
  size_t left;
};

uint64_t nameset_hash(const uint8_t *s, size_t n);
int nameset_has(const struct nameset *set, const uint8_t *s, size_t n, uint64_t hash);
/** 0, or -1 when out of memory. The name must not be in the set. */
int nameset_add(struct nameset *set, const uint8_t *s, size_t n, uint64_t hash);
void nameset_free(struct nameset *set);
