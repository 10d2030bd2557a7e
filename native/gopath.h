// Go's path.Clean on bytes (gopath.c), as src/lib/fs/gopath.ts does on latin1 strings.
#pragma once
#include <stddef.h>
#include <stdint.h>

/** Clean p[0..n) into out (room for max(n, 1) bytes); returns the length. */
size_t go_clean(const uint8_t *p, size_t n, uint8_t *out);
