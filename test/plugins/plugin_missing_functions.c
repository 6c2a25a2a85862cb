/* A plugin whose vtable lacks create and before_commit: the host must name both. */
#include "minimal_plugin.h"

static ccdr_plugin_api api;

CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api *host, const ccdr_plugin_api **out, ccdr_error *err) {
  (void)host; (void)err;
  ccdr_header h = CCDR_HEADER_INIT(ccdr_plugin_api);
  api.hdr = h;
  mp_fill(&api);
  api.create = 0;
  api.before_commit = 0;
  *out = &api;
  return CCDR_OK;
}
