// One line of a tar-split file parsed in C (jsonline.c), for the subset of JSON that Go's
// encoder writes; anything else is left to the JavaScript parser (src/lib/tarsplit/reader.ts).
#pragma once
#include <stddef.h>
#include <stdint.h>

enum { TS_FILE = 1, TS_SEGMENT = 2 };

struct ts_entry {
  int type;
  /** The name's bytes (name_raw when present and not empty, else the UTF-8 of name), in scratch. */
  const uint8_t *name;
  size_t name_len;
  uint64_t size;
  /** The payload's base64 text inside the line, not yet checked (ts_b64_decode does); NULL when null or absent. */
  const uint8_t *payload;
  size_t payload_len;
};

/**
 * Parse `line` (no newline). `scratch` must hold 2 × len bytes. Returns 0, or -1 when the line is
 * outside what this parser takes on: the caller then gives it to the JavaScript parser, which
 * either reads it the same way or reports why it is wrong.
 */
int ts_parse_line(const uint8_t *line, size_t len, struct ts_entry *e, uint8_t *scratch);

/** Bytes that ts_b64_decode would write (it may still refuse the text), or -1. */
long ts_b64_len(const uint8_t *b64, size_t len);
/** Standard base64, every character checked: the bytes written, or -1 (left to reader.ts). */
long ts_b64_decode(const uint8_t *b64, size_t len, uint8_t *out);
