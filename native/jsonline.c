// Why by hand: a tar-split line is one flat JSON object of six known keys, and a general JSON
// library would build a tree for each of the 120 000 lines of a big layer, where this reads the
// values in place. It accepts only what it can read exactly as the JavaScript parser
// (reader.ts: JSON.parse of the line decoded as UTF-8, then Go's base64 and field rules) would:
// anything else — an unknown or repeated key, a float, a lone surrogate, invalid UTF-8, a
// base64 it does not fully check — returns -1 and the line goes to that parser, which is the
// reference. So this file may refuse more than it must, never accept differently.
#include "jsonline.h"

#include <string.h>

static const uint8_t *ws(const uint8_t *p, const uint8_t *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
  return p;
}

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int hex4(const uint8_t *p, const uint8_t *end, uint32_t *v) {
  if (end - p < 4) return -1;
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0) return -1;
    *v = (*v << 4) | (uint32_t)h;
  }
  return 0;
}

/** Length of the valid UTF-8 sequence at p (WHATWG rules, as Node's decoder), or 0. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end) {
  uint8_t c = p[0];
  size_t n;
  uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else return 0;
  if ((size_t)(end - p) < n) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  return n;
}

static uint8_t *put_utf8(uint8_t *d, uint32_t cp) {
  if (cp < 0x80) *d++ = (uint8_t)cp;
  else if (cp < 0x800) {
    *d++ = (uint8_t)(0xc0 | (cp >> 6));
    *d++ = (uint8_t)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *d++ = (uint8_t)(0xe0 | (cp >> 12));
    *d++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    *d++ = (uint8_t)(0x80 | (cp & 0x3f));
  } else {
    *d++ = (uint8_t)(0xf0 | (cp >> 18));
    *d++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    *d++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    *d++ = (uint8_t)(0x80 | (cp & 0x3f));
  }
  return d;
}

/**
 * A JSON string from just after its opening quote: its UTF-8 bytes into dst (at most as many as
 * the text). Returns the position after the closing quote, or NULL.
 */
static const uint8_t *string_at(const uint8_t *p, const uint8_t *end, uint8_t *dst, size_t *len) {
  uint8_t *d = dst;
  while (p < end) {
    uint8_t c = *p;
    if (c == '"') {
      *len = (size_t)(d - dst);
      return p + 1;
    }
    if (c < 0x20) return NULL; // JSON.parse refuses raw control characters
    if (c >= 0x80) {
      size_t n = utf8_seq(p, end);
      if (!n) return NULL; // decoding the line would have replaced it with U+FFFD
      memcpy(d, p, n);
      d += n;
      p += n;
      continue;
    }
    if (c != '\\') {
      *d++ = c;
      p++;
      continue;
    }
    if (++p >= end) return NULL;
    uint32_t cp;
    switch (*p++) {
    case '"': *d++ = '"'; break;
    case '\\': *d++ = '\\'; break;
    case '/': *d++ = '/'; break;
    case 'b': *d++ = '\b'; break;
    case 'f': *d++ = '\f'; break;
    case 'n': *d++ = '\n'; break;
    case 'r': *d++ = '\r'; break;
    case 't': *d++ = '\t'; break;
    case 'u':
      if (hex4(p, end, &cp)) return NULL;
      p += 4;
      if (cp >= 0xdc00 && cp <= 0xdfff) return NULL; // a lone low surrogate
      if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t lo;
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) || lo < 0xdc00 || lo > 0xdfff) return NULL;
        p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      d = put_utf8(d, cp); // 6 or 12 characters of text give at most 3 or 4 bytes
      break;
    default: return NULL;
    }
  }
  return NULL;
}

/** A whole number without sign, fraction or exponent, below 2^53 (JSON: no leading zero). */
static const uint8_t *number_at(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  const uint8_t *s = p;
  *v = 0;
  while (p < end && *p >= '0' && *p <= '9') *v = *v * 10 + (uint64_t)(*p++ - '0');
  size_t n = (size_t)(p - s);
  if (n == 0 || n > 15 || (n > 1 && *s == '0')) return NULL;
  if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return NULL;
  return p;
}

/** Standard base64's alphabet: a character's six bits, or -1. */
static int8_t B64[256];

__attribute__((constructor)) static void b64_table(void) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  memset(B64, -1, sizeof B64);
  for (int i = 0; i < 64; i++) B64[(uint8_t)alphabet[i]] = (int8_t)i;
}

long ts_b64_len(const uint8_t *s, size_t len) {
  if (len % 4) return -1;
  size_t pad = len && s[len - 1] == '=' ? (len > 1 && s[len - 2] == '=' ? 2 : 1) : 0;
  return (long)(len / 4 * 3 - pad);
}

/*
 * Standard base64 with padding, every character checked (reader.ts decodeB64 accepts all that
 * this does, and decodes it the same): -1 for anything else, which is then left to reader.ts.
 * A table and four characters a step: the first version, a branch per character, was 11% of a
 * layer's CPU time (the ≈ 700 characters of each tar header).
 */
long ts_b64_decode(const uint8_t *s, size_t len, uint8_t *out) {
  long want = ts_b64_len(s, len);
  if (want < 0) return -1;
  size_t full = len - (len && s[len - 1] == '=' ? 4 : 0), o = 0; // groups without padding
  for (size_t i = 0; i < full; i += 4) {
    int a = B64[s[i]], b = B64[s[i + 1]], c = B64[s[i + 2]], d = B64[s[i + 3]];
    if ((a | b | c | d) < 0) return -1;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
    out[o] = (uint8_t)(v >> 16), out[o + 1] = (uint8_t)(v >> 8), out[o + 2] = (uint8_t)v;
    o += 3;
  }
  if (full < len) { // "xx==" or "xxx="
    const uint8_t *g = s + full;
    int a = B64[g[0]], b = B64[g[1]], c = g[2] == '=' ? 0 : B64[g[2]];
    if ((a | b | c) < 0 || (g[2] == '=' && g[3] != '=')) return -1;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
    out[o++] = (uint8_t)(v >> 16);
    if (g[2] != '=') out[o++] = (uint8_t)(v >> 8);
  }
  return (long)o == want ? want : -1;
}

enum { K_TYPE = 1, K_NAME = 2, K_NAME_RAW = 4, K_SIZE = 8, K_PAYLOAD = 16, K_POSITION = 32 };

static int key_of(const uint8_t *k, size_t n) {
  static const struct { const char *s; int bit; } keys[] = {
    { "type", K_TYPE }, { "name", K_NAME }, { "name_raw", K_NAME_RAW }, { "size", K_SIZE }, { "payload", K_PAYLOAD }, { "position", K_POSITION },
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strlen(keys[i].s) == n && memcmp(keys[i].s, k, n) == 0) return keys[i].bit;
  return 0; // Go would match another spelling case-insensitively, or ignore the key: reader.ts decides
}

int ts_parse_line(const uint8_t *line, size_t len, struct ts_entry *e, uint8_t *scratch) {
  const uint8_t *p = line, *end = line + len;
  uint8_t *text = scratch, *raw = scratch + len; // name's text, name_raw's base64: each shorter than the line
  size_t text_len = 0, raw_len = 0;
  uint64_t type = 0, size = 0, position;
  int seen = 0;
  e->payload = NULL;
  e->payload_len = 0;
  p = ws(p, end);
  if (p >= end || *p++ != '{') return -1;
  p = ws(p, end);
  if (p < end && *p == '}') return -1; // no type
  for (;;) {
    if (p >= end || *p != '"') return -1;
    const uint8_t *key = p + 1, *q = memchr(key, '"', (size_t)(end - key));
    if (!q || memchr(key, '\\', (size_t)(q - key))) return -1; // an escaped key: JSON.parse's to read
    size_t klen = (size_t)(q - key);
    p = q + 1;
    int bit = key_of(key, klen);
    if (!bit || (seen & bit)) return -1; // JSON.parse keeps the last of repeated keys: not worth following
    seen |= bit;
    p = ws(p, end);
    if (p >= end || *p++ != ':') return -1;
    p = ws(p, end);
    if (p >= end) return -1;
    int null = end - p >= 4 && memcmp(p, "null", 4) == 0;
    switch (bit) {
    case K_TYPE:
      if (!(p = number_at(p, end, &type))) return -1;
      break;
    case K_SIZE:
      if (!(p = number_at(p, end, &size))) return -1;
      break;
    case K_POSITION:
      if (!(p = number_at(p, end, &position))) return -1;
      break;
    case K_NAME:
      if (*p != '"' || !(p = string_at(p + 1, end, text, &text_len))) return -1;
      break;
    case K_NAME_RAW:
      if (*p != '"' || !(p = string_at(p + 1, end, raw, &raw_len))) return -1;
      break;
    case K_PAYLOAD:
      if (null) {
        p += 4;
        break;
      }
      if (*p != '"') return -1;
      e->payload = p + 1;
      q = memchr(e->payload, '"', (size_t)(end - e->payload));
      // Checked as it is decoded; base64 needs no escapes, and a backslash fails that check.
      if (!q) return -1;
      e->payload_len = (size_t)(q - e->payload);
      p = q + 1;
      break;
    }
    p = ws(p, end);
    if (p < end && *p == ',') {
      p = ws(p + 1, end);
      continue;
    }
    if (p < end && *p == '}') break;
    return -1;
  }
  (void)position; // checked to be a number, as Go would; not used
  if (ws(p + 1, end) != end) return -1;
  if (!(seen & K_TYPE) || (type != TS_FILE && type != TS_SEGMENT)) return -1;
  e->type = (int)type;
  e->size = size;
  if (type == TS_SEGMENT) return 0;
  if (seen & K_NAME_RAW) {
    long n = ts_b64_decode(raw, raw_len, raw); // in place: the output never overtakes the input
    if (n < 0) return -1;
    if (n > 0) {
      e->name = raw;
      e->name_len = (size_t)n;
      return 0;
    }
  }
  e->name = text;
  e->name_len = text_len;
  return 0;
}
