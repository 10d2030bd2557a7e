// Hard links of many names from one directory into another (links.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

/**
 * linkat(src, name, dst, name, 0) for each NUL-terminated name in names[0..len): both
 * directories opened once, so each link resolves one component on each side instead of two whole
 * paths. errs[i] gets 0 or the errno of the i-th name (at most max names). Returns the count of
 * names, or -errno when a directory cannot be opened (then nothing was linked).
 */
long link_names(const char *src_dir, const char *dst_dir, const char *names, size_t len, int32_t *errs, size_t max);
