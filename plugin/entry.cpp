// plugin/entry.cpp: the extern "C" shim, the plugin's only exported symbol.
// Exceptions stop here (and in the vtable thunks of ccdr/plugin_adapter.hpp).
#include "ccdr_plugin.hpp"
#include "settings/plugin_settings.hpp"
#include "version.hpp"

#include <ccdr/abi.h>
#include <ccdr/plugin_adapter.hpp>

namespace {

struct CcdrTraits {
    static constexpr std::string_view name = "ccdr";
    static constexpr std::string_view version = ccdr::plugin::kPluginVersion;
    static std::span<const ccdr_setting_def> settings() { return ccdr::plugin::declared_settings(); }
    static ccdr::Status validate_setting(std::string_view key, std::string_view value) {
        return ccdr::plugin::validate_setting(key, value);
    }
    static ccdr::Result<std::unique_ptr<ccdr::PluginInstance>> create(ccdr::HostHandle host) {
        return ccdr::plugin::CcdrPlugin::create(host, ccdr::plugin::kPluginVersion);
    }
};

}  // namespace

extern "C" CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api* host_api, const ccdr_plugin_api** out_api,
                                                     ccdr_error* err) {
    try {
        if (out_api == nullptr) {
            return ccdr::Status(CCDR_INVALID_ARGUMENT, "ccdr_plugin_entry: out_api is null").fill(err);
        }
        ccdr::Status st = ccdr::check_host_api(host_api, "ccdr plugin");
        if (!st) {
            return st.fill(err);
        }
        *out_api = ccdr::plugin_api<CcdrTraits>();
        return CCDR_OK;
    } catch (...) {
        return ccdr::Status(CCDR_INTERNAL, "ccdr_plugin_entry: unexpected exception").fill(err);
    }
}
