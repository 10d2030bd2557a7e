// Node-API surface of Path A's native loop (tsassemble.c): a layer handle, runs on a libuv
// thread, and the duplicate-name set shared with the lines JavaScript reads itself.
#include "addon_tarsplit.h"

#include <stdlib.h>
#include <string.h>

#include "napi_util.h"
#include "tsassemble.h"

/** The handle JavaScript holds: freed by tarsplitClose, or by the collector if never closed. */
struct handle {
  struct ts_layer *layer;
  int busy; // a run is on a libuv thread: the layer must not be touched
};

static void finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  struct handle *h = data;
  ts_layer_free(h->layer); // a handle is only collected once no run holds it
  free(h);
}

static struct handle *handle_of(napi_env env, napi_value v) {
  void *data;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  struct handle *h = data;
  if (!h->layer || h->busy) return NULL;
  return h;
}

static napi_value fail(napi_env env, const char *usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

// tarsplitOpen(root: string): a layer handle.
static napi_value open_js(napi_env env, napi_callback_info info) {
  size_t argc = 1, len;
  napi_value argv[1], ext;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
    return fail(env, "tarsplitOpen(root: string)");
  char *root = malloc(len + 1);
  struct handle *h = calloc(1, sizeof *h);
  if (root) napi_get_value_string_utf8(env, argv[0], root, len + 1, &len);
  if (root && h) h->layer = ts_layer_new(root, len);
  free(root);
  if (!h || !h->layer) {
    free(h);
    napi_throw_error(env, NULL, "cas_native: out of memory");
    return NULL;
  }
  if (napi_create_external(env, h, finalize, NULL, &ext) != napi_ok) {
    finalize(env, h, NULL);
    return NULL;
  }
  return ext;
}

// tarsplitClose(layer): frees the layer now (its name set can hold megabytes).
static napi_value close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "tarsplitClose(layer)");
  struct handle *h = handle_of(env, argv[0]);
  if (!h) return fail(env, "tarsplitClose(layer): not an open layer, or a run is in flight");
  ts_layer_free(h->layer);
  h->layer = NULL;
  return NULL;
}

// tarsplitSeen(layer, key: Uint8Array): whether the cleaned name was listed before (it is now).
static napi_value seen_js(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2], result;
  uint8_t *key;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !u8_of(env, argv[1], &key, &len)) return fail(env, "tarsplitSeen(layer, key: Uint8Array)");
  struct handle *h = handle_of(env, argv[0]);
  if (!h) return fail(env, "tarsplitSeen(layer): not an open layer, or a run is in flight");
  int r = ts_seen(h->layer, key, len);
  if (r < 0) {
    napi_throw_error(env, NULL, "cas_native: out of memory");
    return NULL;
  }
  napi_get_boolean(env, r == 1, &result);
  return result;
}

struct job {
  struct handle *h;
  struct ts_run run;
  double *result;
  napi_ref refs[4]; // layer, input, out, result: alive until the run completes
  napi_async_work work;
  napi_deferred deferred;
};

static void execute(napi_env env, void *data) {
  (void)env;
  struct job *j = data;
  ts_run(j->h->layer, &j->run);
}

static void complete(napi_env env, napi_status status, void *data) {
  struct job *j = data;
  napi_value v;
  j->h->busy = 0;
  if (status == napi_ok) {
    double *o = j->result;
    o[0] = (double)j->run.pos, o[1] = (double)j->run.produced, o[2] = j->run.stop, o[3] = (double)j->run.size, o[4] = (double)j->run.files;
  }
  napi_get_undefined(env, &v);
  settle(env, j->deferred, status, v, "cas_native: tar-split run cancelled");
  drop_work(env, j->work, j->refs, 4);
  free(j);
}

// tarsplitRunAsync(layer, input: Uint8Array, pos, out: Uint8Array, result: Float64Array(5)):
// Promise<void>. Runs ts_run on a libuv thread; result gets [pos, produced, stop, size, files].
// None of the arguments may be touched until it settles.
static napi_value run_js(napi_env env, napi_callback_info info) {
  static const char usage[] = "tarsplitRunAsync(layer, input: Uint8Array, pos: number, out: Uint8Array, result: Float64Array(5))";
  size_t argc = 5, in_len, out_len, res_len;
  napi_value argv[5], ab, promise, name;
  uint8_t *in, *out;
  double pos, *res;
  napi_typedarray_type type;
  size_t offset;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !u8_of(env, argv[1], &in, &in_len) ||
      napi_get_value_double(env, argv[2], &pos) != napi_ok || !(pos >= 0) || pos > (double)in_len || pos != (double)(size_t)pos ||
      !u8_of(env, argv[3], &out, &out_len) || napi_get_typedarray_info(env, argv[4], &type, &res_len, (void **)&res, &ab, &offset) != napi_ok ||
      type != napi_float64_array || res_len < 5)
    return fail(env, usage);
  struct handle *h = handle_of(env, argv[0]);
  if (!h) return fail(env, "tarsplitRunAsync(layer): not an open layer, or a run is in flight");
  struct job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "cas_native: out of memory");
    return NULL;
  }
  j->h = h;
  j->result = res;
  j->run = (struct ts_run){ .in = in, .in_len = in_len, .pos = (size_t)pos, .out = out, .out_room = out_len };
  napi_value keep[4] = { argv[0], argv[1], argv[3], argv[4] };
  for (int i = 0; i < 4; i++) napi_create_reference(env, keep[i], 1, &j->refs[i]);
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok || napi_create_string_utf8(env, "cas-migrate:tarsplitRun", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    for (int i = 0; i < 4; i++) napi_delete_reference(env, j->refs[i]);
    free(j);
    napi_throw_error(env, NULL, "cas_native: could not queue a tar-split run");
    return NULL;
  }
  h->busy = 1;
  return promise;
}

void register_tarsplit(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "tarsplitOpen", open_js }, { "tarsplitClose", close_js }, { "tarsplitSeen", seen_js }, { "tarsplitRunAsync", run_js },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
}
