// Go-ISO CRC-64 (crc64.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

void crc64_init(void);
int crc64_has_clmul(void);
/** Go's crc64.Update(crc, crc64.MakeTable(crc64.ISO), p). */
uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n);
/** The same without carry-less multiply, to test one against the other. */
uint64_t crc64_update_portable(uint64_t crc, const uint8_t *p, size_t n);
