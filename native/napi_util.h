// Node-API helpers shared by the addon's files: the bytes of a Uint8Array, a CRC-64 state as
// JavaScript holds it (8 bytes, big-endian), and the end of an async work item (resolve its
// promise with a value or reject it as cancelled, then drop the work and the references that
// kept its buffers alive).
#pragma once
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/** A Uint8Array's (or Buffer's) bytes; 0 for anything else. */
static inline int u8_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &type, len, (void **)data, &ab, &offset) == napi_ok && type == napi_uint8_array;
}

static inline uint64_t load_be(const uint8_t *s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | s[i];
  return v;
}

static inline void store_be(uint8_t *s, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) s[i] = (uint8_t)v;
}

static inline void settle(napi_env env, napi_deferred deferred, napi_status status, napi_value value, const char *cancelled) {
  if (status == napi_ok) {
    napi_resolve_deferred(env, deferred, value);
    return;
  }
  napi_value msg, err;
  napi_create_string_utf8(env, cancelled, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, deferred, err);
}

static inline void drop_work(napi_env env, napi_async_work work, napi_ref *refs, int n) {
  napi_delete_async_work(env, work);
  for (int i = 0; i < n; i++) napi_delete_reference(env, refs[i]);
}
