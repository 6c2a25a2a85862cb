/* A plugin built against a newer minor (1.<minor+1>): its vtable carries an
 * extra function after the 1.0 fields. An older host must load and drive it
 * using only the fields its own struct_size covers. */
#include "minimal_plugin.h"

typedef struct newer_plugin_api {
  ccdr_plugin_api base;
  void (*extra_function_from_the_future)(ccdr_plugin_ctx *);
  uint64_t extra_field;
} newer_plugin_api;

static void future(ccdr_plugin_ctx *p) { (void)p; }
static newer_plugin_api api;

CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api *host, const ccdr_plugin_api **out, ccdr_error *err) {
  (void)err;
  if (host->hdr.major != CCDR_ABI_VERSION_MAJOR) return CCDR_VERSION_MISMATCH;
  api.base.hdr.struct_size = (uint32_t)sizeof(api);
  api.base.hdr.major = CCDR_ABI_VERSION_MAJOR;
  api.base.hdr.minor = CCDR_ABI_VERSION_MINOR + 1;
  mp_fill(&api.base);
  api.extra_function_from_the_future = future;
  api.extra_field = 7;
  *out = &api.base;
  return CCDR_OK;
}
