// Node-API surface of mapped.c: mapRangeAsync maps a window of a big file and CRCs it on a libuv
// thread, and resolves with an external ArrayBuffer over the mapping; unmapRange unmaps it once
// hashed, detaching the ArrayBuffer so no view of it can reach the unmapped pages. A window
// never released (an error on the way) is unmapped when the collector frees its ArrayBuffer.
#include "addon_mapped.h"

#include <errno.h>
#include <stdlib.h>

#include "mapped.h"
#include "napi_util.h"

struct map_job {
  int fd;
  uint64_t pos;
  size_t len;
  uint8_t *state;
  int64_t result;
  struct mapped *m;
  napi_ref ref;
  napi_async_work work;
  napi_deferred deferred;
};

static void release(napi_env env, void *data, void *hint) {
  (void)env, (void)data;
  struct mapped *m = hint;
  mapped_close(m); // nothing if unmapRange came first
  free(m);
}

static void map_execute(napi_env env, void *data) {
  (void)env;
  struct map_job *j = data;
  uint64_t crc = load_be(j->state);
  j->result = mapped_open(j->fd, j->pos, j->len, &crc, j->m);
  if (j->result > 0) store_be(j->state, crc);
}

static void map_complete(napi_env env, napi_status status, void *data) {
  struct map_job *j = data;
  napi_value v = NULL;
  if (status == napi_ok && j->result > 0) {
    struct mapped *m = j->m;
    napi_value ab;
    j->result = -ENOMEM; // unless all goes well: then the caller reads the file instead
    if (napi_create_external_arraybuffer(env, m->addr, m->len, release, m, &ab) == napi_ok) {
      j->m = NULL; // the ArrayBuffer owns it now: `release` frees it
      if (napi_wrap(env, ab, m, NULL, NULL, NULL) == napi_ok) v = ab;
      else {
        mapped_close(m);
        napi_detach_arraybuffer(env, ab); // may run `release`: m is not touched after this
      }
    }
  }
  if (j->m) {
    mapped_close(j->m);
    free(j->m);
  }
  if (!v) napi_create_double(env, (double)j->result, &v);
  settle(env, j->deferred, status, v, "cas_native: mapping cancelled");
  drop_work(env, j->work, &j->ref, 1);
  free(j);
}

// mapRangeAsync(fd, position, length, state: Uint8Array(8)): Promise<ArrayBuffer | number>.
// position: a multiple of the page size. Resolves with the window (its length less than asked
// only at end of file; its bytes folded into the CRC-64 `state`, big-endian, in place), or 0
// when the file ended before `position` or shrank while mapped, or -errno when it cannot be
// mapped (read it instead). `state` must not be touched, nor `fd` closed, until it resolves.
static napi_value map_range_async(napi_env env, napi_callback_info info) {
  size_t argc = 4, state_len;
  napi_value argv[4], promise, name;
  int32_t fd;
  double pos, len;
  uint8_t *state;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_double(env, argv[1], &pos) != napi_ok || !(pos >= 0) || pos != (double)(uint64_t)pos ||
      napi_get_value_double(env, argv[2], &len) != napi_ok || !(len > 0) || len != (double)(size_t)len ||
      !u8_of(env, argv[3], &state, &state_len) || state_len != 8) {
    napi_throw_type_error(env, NULL, "mapRangeAsync(fd: number, position: number, length: number > 0, state: Uint8Array(8))");
    return NULL;
  }
  struct map_job *j = calloc(1, sizeof *j);
  struct mapped *m = calloc(1, sizeof *m);
  if (!j || !m) {
    free(j), free(m);
    napi_throw_error(env, NULL, "cas_native: out of memory");
    return NULL;
  }
  *j = (struct map_job){ .fd = fd, .pos = (uint64_t)pos, .len = (size_t)len, .state = state, .m = m };
  m->slot = -1;
  if (napi_create_reference(env, argv[3], 1, &j->ref) != napi_ok || napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "cas-migrate:mapRange", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, map_execute, map_complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    napi_throw_error(env, NULL, "cas_native: mapRangeAsync could not be queued");
    return NULL; // a job half set up is leaked: Node-API itself is failing
  }
  return promise;
}

// unmapRange(window: ArrayBuffer): number. Unmaps a window of mapRangeAsync and detaches it;
// 0 if what was read is the file's; 1 if the file was cut short while it was mapped (the file now
// ends before the window does, or a page of it had vanished when touched); -EIO if a page
// vanished though the file still covers it (a disk error). Call it once the window is read,
// before the file's descriptor is closed.
static napi_value unmap_range(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value ab, result;
  void *m;
  if (napi_get_cb_info(env, info, &argc, &ab, NULL, NULL) != napi_ok || argc < 1 || napi_remove_wrap(env, ab, &m) != napi_ok) {
    napi_throw_type_error(env, NULL, "unmapRange(window: an ArrayBuffer from mapRangeAsync, not yet unmapped)");
    return NULL;
  }
  int shrunk = mapped_shrunk(m);
  int faulted = mapped_close(m);
  napi_detach_arraybuffer(env, ab); // may run `release` now: m is not touched after this
  napi_create_int32(env, shrunk ? 1 : faulted ? -EIO : 0, &result);
  return result;
}

void register_mapped(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "mapRangeAsync", NAPI_AUTO_LENGTH, map_range_async, NULL, &fn);
  napi_set_named_property(env, exports, "mapRangeAsync", fn);
  napi_create_function(env, "unmapRange", NAPI_AUTO_LENGTH, unmap_range, NULL, &fn);
  napi_set_named_property(env, exports, "unmapRange", fn);
}
