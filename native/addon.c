// Node-API surface of the optional native addon (src/lib/native/native.ts loads it; without it
// the same work runs in JavaScript and hash-wasm). Node-API keeps one build good for every
// Node version from 20 on, and the addon is context-aware, so worker threads can load it.
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "addon_mapped.h"
#include "addon_tarsplit.h"
#include "crc64.h"
#include "files.h"
#include "links.h"
#include "napi_util.h"
#include "times.h"

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "cas_native: " #call " failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

// crc64Update(state: Uint8Array(8), data: Uint8Array, portable?: boolean): state is Go's crc
// value, big-endian (the digest once the file is done), updated in place.
static napi_value crc64_update_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *state, *data;
  size_t state_len, len;
  if (argc < 2 || !u8_of(env, argv[0], &state, &state_len) || state_len != 8 || !u8_of(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, NULL, "crc64Update(state: Uint8Array(8), data: Uint8Array)");
    return NULL;
  }
  bool portable = false;
  if (argc > 2) napi_get_value_bool(env, argv[2], &portable);
  uint64_t crc = load_be(state);
  store_be(state, portable ? crc64_update_portable(crc, data, len) : crc64_update(crc, data, len));
  return NULL;
}

// One chunk of a big file, read and CRC'd on a libuv thread (readRangeAsync).
struct range_job {
  int fd;
  uint64_t pos;
  uint8_t *out, *state;
  size_t len;
  int64_t result;
  napi_ref refs[2];
  napi_async_work work;
  napi_deferred deferred;
};

static void range_execute(napi_env env, void *data) {
  (void)env;
  struct range_job *j = data;
  uint64_t crc = load_be(j->state);
  j->result = read_range(j->fd, j->pos, j->out, j->len, &crc);
  if (j->result >= 0) store_be(j->state, crc);
}

static void range_complete(napi_env env, napi_status status, void *data) {
  struct range_job *j = data;
  napi_value v;
  napi_create_double(env, (double)j->result, &v);
  settle(env, j->deferred, status, v, "cas_native: range read cancelled");
  drop_work(env, j->work, j->refs, 2);
  free(j);
}

// readRangeAsync(fd, position, out: Uint8Array, state: Uint8Array(8)): Promise<number>. Fills
// `out` from `position` (less only at end of file), folds the bytes into the CRC-64 `state`
// (big-endian, in place) and resolves with the count read, or -errno. `out` and `state` must
// not be touched until it resolves.
static napi_value read_range_async(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  double pos;
  uint8_t *out, *state;
  size_t len, state_len;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_double(env, argv[1], &pos) != napi_ok || !(pos >= 0) || pos != (double)(uint64_t)pos ||
      !u8_of(env, argv[2], &out, &len) || !u8_of(env, argv[3], &state, &state_len) || state_len != 8) {
    napi_throw_type_error(env, NULL, "readRangeAsync(fd: number, position: number, out: Uint8Array, state: Uint8Array(8))");
    return NULL;
  }
  struct range_job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "cas_native: out of memory");
    return NULL;
  }
  *j = (struct range_job){ .fd = fd, .pos = (uint64_t)pos, .out = out, .state = state, .len = len };
  napi_value promise, name;
  for (int i = 0; i < 2; i++) napi_create_reference(env, argv[i + 2], 1, &j->refs[i]);
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "cas-migrate:readRange", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, range_execute, range_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

// lutimens(path: string | Buffer, atimeSec, atimeNsec, mtimeSec, mtimeNsec): 0 or -errno. The
// seconds come as doubles (exact for every whole second a file system can hold), the
// nanoseconds as integers 0..999999999, so no time is rounded on the way.
static napi_value lutimens_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  double as, ms;
  int32_t ans, mns;
  napi_valuetype t;
  if (argc < 5 || napi_typeof(env, argv[0], &t) != napi_ok || napi_get_value_double(env, argv[1], &as) != napi_ok ||
      napi_get_value_int32(env, argv[2], &ans) != napi_ok || napi_get_value_double(env, argv[3], &ms) != napi_ok ||
      napi_get_value_int32(env, argv[4], &mns) != napi_ok || as != (double)(int64_t)as || ms != (double)(int64_t)ms ||
      ans < 0 || ans > 999999999 || mns < 0 || mns > 999999999)
    goto usage;
  char stack[4096], *path = stack;
  size_t len;
  uint8_t *raw;
  if (t == napi_string) {
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) goto usage;
    if (len >= sizeof stack && !(path = malloc(len + 1))) goto oom;
    napi_get_value_string_utf8(env, argv[0], path, len + 1, &len);
  } else {
    if (!u8_of(env, argv[0], &raw, &len)) goto usage;
    if (len >= sizeof stack && !(path = malloc(len + 1))) goto oom;
    memcpy(path, raw, len);
    path[len] = 0;
  }
  if (strlen(path) != len) { // a NUL inside the name would silently name another file
    if (path != stack) free(path);
    goto usage;
  }
  int r = set_times_ns(path, (int64_t)as, ans, (int64_t)ms, mns);
  if (path != stack) free(path);
  napi_value result;
  CHECK(napi_create_int32(env, r, &result));
  return result;
usage:
  napi_throw_type_error(env, NULL, "lutimens(path: string | Buffer, atimeSec: integer, atimeNsec: 0..999999999, mtimeSec: integer, mtimeNsec: 0..999999999)");
  return NULL;
oom:
  napi_throw_error(env, NULL, "cas_native: out of memory");
  return NULL;
}

// linkNames(srcDir: Uint8Array, dstDir: Uint8Array, names: Uint8Array, errs: Int32Array): the
// count of names linked or refused (errs[i]: 0 or an errno), or -errno if a directory could not
// be opened. names: each name followed by a NUL. Synchronous: the main thread's diff-dir walk
// calls it a few hundred names at a time between its yields to the event loop.
static char *cstr_of(const uint8_t *raw, size_t len) {
  if (memchr(raw, 0, len)) return NULL; // a NUL inside would name another directory
  char *s = malloc(len + 1);
  if (s) memcpy(s, raw, len), s[len] = 0;
  return s;
}

static napi_value link_names_js(napi_env env, napi_callback_info info) {
  size_t argc = 4, slen, dlen, nlen, elen, offset;
  napi_value argv[4], ab, result;
  uint8_t *s, *d, *names;
  int32_t *errs;
  napi_typedarray_type type;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !u8_of(env, argv[0], &s, &slen) || !u8_of(env, argv[1], &d, &dlen) || !u8_of(env, argv[2], &names, &nlen) ||
      napi_get_typedarray_info(env, argv[3], &type, &elen, (void **)&errs, &ab, &offset) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "linkNames(srcDir: Uint8Array, dstDir: Uint8Array, names: Uint8Array, errs: Int32Array)");
    return NULL;
  }
  char *src = cstr_of(s, slen), *dst = cstr_of(d, dlen);
  long r = src && dst ? link_names(src, dst, (const char *)names, nlen, errs, elen) : -EINVAL;
  free(src);
  free(dst);
  CHECK(napi_create_int64(env, r, &result));
  return result;
}

NAPI_MODULE_INIT() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, crc64_init); // worker threads may load the addon at the same moment
  napi_value fn, flag;
  napi_create_function(env, "crc64Update", NAPI_AUTO_LENGTH, crc64_update_js, NULL, &fn);
  napi_set_named_property(env, exports, "crc64Update", fn);
  napi_create_function(env, "readRangeAsync", NAPI_AUTO_LENGTH, read_range_async, NULL, &fn);
  napi_set_named_property(env, exports, "readRangeAsync", fn);
  napi_create_function(env, "lutimens", NAPI_AUTO_LENGTH, lutimens_js, NULL, &fn);
  napi_set_named_property(env, exports, "lutimens", fn);
  napi_create_function(env, "linkNames", NAPI_AUTO_LENGTH, link_names_js, NULL, &fn);
  napi_set_named_property(env, exports, "linkNames", fn);
  register_tarsplit(env, exports);
  register_mapped(env, exports);
  napi_get_boolean(env, crc64_has_clmul(), &flag);
  napi_set_named_property(env, exports, "clmul", flag);
  return exports;
}
