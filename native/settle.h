// The end of an async work item, shared by the addon's async calls (addon.c, addon_tarsplit.c):
// resolve its promise with a value or reject it as cancelled, then drop the work and the
// references that kept its buffers alive.
#pragma once
#include <node_api.h>

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
