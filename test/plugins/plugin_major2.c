/* A plugin that claims ccdr ABI 2.0: the host must refuse it, naming both versions. */
#include <ccdr/abi.h>

static ccdr_plugin_api api;

CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api *host, const ccdr_plugin_api **out, ccdr_error *err) {
  (void)host;
  (void)err;
  api.hdr.struct_size = (uint32_t)sizeof(api);
  api.hdr.major = 2;
  api.hdr.minor = 0;
  *out = &api;
  return CCDR_OK;
}
