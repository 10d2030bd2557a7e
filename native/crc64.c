// CRC-64 as Go's hash/crc64 with the ISO table (reflected polynomial 0xD800000000000000), the
// per-file checksum of tar-split. By hand because no library offers this polynomial fast: the
// packages that fold with carry-less multiply are fixed to ECMA-182 or CRC-64/NVME.
//
// With PCLMULQDQ, 64-byte blocks are folded four registers at a time (Intel, "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ", 2009); the fold constants are derived
// here from the polynomial instead of being copied, and the last 16 bytes plus the tail go
// through the table, which computes (rest · x^64) mod P exactly as a Barrett reduction would.
// Without it, slicing-by-8. test/unit/native.test.ts checks both against the Go check value
// and against each other on every length and alignment up to a few blocks.
#include "crc64.h"

#include <string.h>

#define POLY 0xD800000000000000ULL

static uint64_t T[8][256];
static int have_clmul;

#if defined(__x86_64__)
#include <immintrin.h>
static __m128i K512, K128; // fold by 4 × 128 bits (4-way loop) and by 128 bits
#endif

// x^n mod P, P = x^64 + x^4 + x^3 + x + 1 (the ISO polynomial, not reflected).
static uint64_t xpow_mod(unsigned n) {
  uint64_t r = 1;
  while (n--) r = (r << 1) ^ ((r >> 63) ? 0x1BULL : 0);
  return r;
}

static uint64_t reflect64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++, v >>= 1) r = (r << 1) | (v & 1);
  return r;
}

void crc64_init(void) {
  for (unsigned i = 0; i < 256; i++) {
    uint64_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
    T[0][i] = c;
  }
  for (unsigned i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++) T[t][i] = (T[t - 1][i] >> 8) ^ T[0][T[t - 1][i] & 0xff];
#if defined(__x86_64__)
  __builtin_cpu_init();
  have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  // In the reflected domain the low qword of a register holds the higher-degree half. A fold by
  // F bits multiplies that half by x^(64+F) and the other by x^F; carry-less products of two
  // reflected 64-bit values come out one bit short, so the exponents are one less.
  K512 = _mm_set_epi64x((long long)reflect64(xpow_mod(512 - 1)), (long long)reflect64(xpow_mod(64 + 512 - 1)));
  K128 = _mm_set_epi64x((long long)reflect64(xpow_mod(128 - 1)), (long long)reflect64(xpow_mod(64 + 128 - 1)));
#endif
}

int crc64_has_clmul(void) {
  return have_clmul;
}

// The raw register (Go's crc after its first inversion) through n bytes, slicing-by-8.
static uint64_t table_update(uint64_t r, const uint8_t *p, size_t n) {
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    v ^= r;
    r = T[7][v & 0xff] ^ T[6][(v >> 8) & 0xff] ^ T[5][(v >> 16) & 0xff] ^ T[4][(v >> 24) & 0xff] ^
        T[3][(v >> 32) & 0xff] ^ T[2][(v >> 40) & 0xff] ^ T[1][(v >> 48) & 0xff] ^ T[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) r = T[0][(r ^ *p++) & 0xff] ^ (r >> 8);
  return r;
}

#if defined(__x86_64__)
__attribute__((target("pclmul,sse4.1"))) static inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse4.1"))) static uint64_t clmul_update(uint64_t r, const uint8_t *p, size_t n) {
  // The register joins the message: r · x^(8n) + M·x^64 = (r ‖ 0…) ⊕ M, shifted by x^64.
  __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi64_si128((long long)r));
  __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
  __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
  __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x0 = _mm_xor_si128(fold(x0, K512), _mm_loadu_si128((const __m128i *)p));
    x1 = _mm_xor_si128(fold(x1, K512), _mm_loadu_si128((const __m128i *)(p + 16)));
    x2 = _mm_xor_si128(fold(x2, K512), _mm_loadu_si128((const __m128i *)(p + 32)));
    x3 = _mm_xor_si128(fold(x3, K512), _mm_loadu_si128((const __m128i *)(p + 48)));
  }
  __m128i x = _mm_xor_si128(fold(x0, K128), x1);
  x = _mm_xor_si128(fold(x, K128), x2);
  x = _mm_xor_si128(fold(x, K128), x3);
  for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(fold(x, K128), _mm_loadu_si128((const __m128i *)p));
  uint8_t last[16];
  _mm_storeu_si128((__m128i *)last, x);
  return table_update(table_update(0, last, 16), p, n);
}
#endif

uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n) {
  uint64_t r = ~crc;
#if defined(__x86_64__)
  if (have_clmul && n >= 64) return ~clmul_update(r, p, n);
#endif
  return ~table_update(r, p, n);
}

uint64_t crc64_update_portable(uint64_t crc, const uint8_t *p, size_t n) {
  return ~table_update(~crc, p, n);
}
