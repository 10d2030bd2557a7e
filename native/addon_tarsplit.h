// Registers Path A's native loop on the addon's exports (addon_tarsplit.c).
#pragma once
#include <node_api.h>

void register_tarsplit(napi_env env, napi_value exports);
