// Go's path.Clean, line for line (src/path/path.go), on bytes: the key under which tar-split's
// unpacker refuses duplicate names, and the name a file is opened by.
#include "gopath.h"

size_t go_clean(const uint8_t *p, size_t n, uint8_t *out) {
  if (n == 0) {
    out[0] = '.';
    return 1;
  }
  int rooted = p[0] == '/';
  size_t r = 0, w = 0, dotdot = 0;
  if (rooted) {
    out[w++] = '/';
    r = dotdot = 1;
  }
  while (r < n) {
    if (p[r] == '/') r++;
    else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) r++;
    else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && out[w] != '/') w--;
      } else if (!rooted) {
        if (w > 0) out[w++] = '/';
        out[w++] = '.';
        out[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0)) out[w++] = '/';
      for (; r < n && p[r] != '/'; r++) out[w++] = p[r];
    }
  }
  if (w == 0) {
    out[0] = '.';
    return 1;
  }
  return w;
}
