// Registers the mapped reading of big files on the addon's exports (addon_mapped.c).
#pragma once
#include <node_api.h>

void register_mapped(napi_env env, napi_value exports);
