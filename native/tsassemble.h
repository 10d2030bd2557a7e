// Path A's per-entry loop in C (tsassemble.c): tar-split lines in, tar stream bytes out.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nameset.h"

/** One layer's reassembly state, kept between runs. */
struct ts_layer {
  char *root;
  size_t root_len;
  int root_fd; // the root opened once (O_PATH): files are opened relative to it; -1: by whole paths
  int nowait;  // whether preadv2(RWF_NOWAIT) works here (kernel 4.14 and later)
  struct nameset seen; // cleaned names listed so far: a second one is an error
  struct nameset dirs; // directories (relative) found to be real directories
  uint8_t *scratch;    // ts_parse_line's
  size_t scratch_room;
  uint8_t *keys; // the current group's cleaned names
  size_t keys_room;
};

enum { TS_INPUT_DONE = 0, TS_OUT_FULL = 1, TS_BAIL = 2 };

struct ts_run {
  const uint8_t *in; // gunzipped tar-split, whole lines from `pos`
  size_t in_len, pos;
  uint8_t *out; // the tar stream produced, from 0
  size_t out_room, produced;
  int stop;           // TS_*: why the run returned; TS_BAIL: the line at `pos` is for JavaScript
  uint64_t size, files; // Docker's layer size and files read, for the lines consumed
};

/** Files up to this size are read here; bigger ones are left to JavaScript, which streams them. */
#define TS_FILE_MAX (1u << 20)

struct ts_layer *ts_layer_new(const char *root, size_t root_len);
void ts_layer_free(struct ts_layer *l);
void ts_run(struct ts_layer *l, struct ts_run *r);
/** Record a cleaned name that JavaScript read: 1 if it was already listed, 0 if added, -1 out of memory. */
int ts_seen(struct ts_layer *l, const uint8_t *key, size_t len);
