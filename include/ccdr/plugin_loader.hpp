// ccdr/plugin_loader.hpp: the host side of loading plugins.
//
// load_plugin() opens one shared library with RTLD_NOW|RTLD_LOCAL, resolves
// ccdr_plugin_entry, negotiates versions, and checks every function of the
// plugin's vtable. Any problem is a Status naming the file and the reason;
// nothing is left loaded. PluginInstanceHandle then drives one instance.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/span.hpp>
#include <ccdr/status.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr {

// A loaded plugin library. Unloads it on destruction (kept mapped under
// sanitizers so their reports can still name its symbols).
class LoadedPlugin {
public:
    LoadedPlugin(std::string path, void* handle, const ccdr_plugin_api* api)
        : path_(std::move(path)), handle_(handle), api_(api) {}
    ~LoadedPlugin() {
        if (handle_ != nullptr) {
            dlclose(handle_);
        }
    }
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const std::string& path() const { return path_; }
    const ccdr_plugin_api* api() const { return api_; }
    std::string_view name() const { return to_view(api_->name); }
    std::string_view version() const { return to_view(api_->version); }

private:
    std::string path_;
    void* handle_;
    const ccdr_plugin_api* api_;
};

namespace detail {

inline bool has_elf_magic(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return false;
    }
    unsigned char magic[4] = {0, 0, 0, 0};
    size_t n = std::fread(magic, 1, 4, f);
    std::fclose(f);
    return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

inline std::string version_text(uint16_t major, uint16_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// Names of 1.0 functions missing from a plugin vtable, comma-separated.
inline std::string missing_plugin_functions(const ccdr_plugin_api* a) {
    std::string missing;
    auto need = [&](const void* fn, const char* name) {
        if (fn == nullptr) {
            missing += missing.empty() ? name : std::string(", ") + name;
        }
    };
    need(reinterpret_cast<const void*>(a->validate_setting), "validate_setting");
    need(reinterpret_cast<const void*>(a->create), "create");
    need(reinterpret_cast<const void*>(a->start), "start");
    need(reinterpret_cast<const void*>(a->stop), "stop");
    need(reinterpret_cast<const void*>(a->destroy), "destroy");
    need(reinterpret_cast<const void*>(a->before_commit), "before_commit");
    need(reinterpret_cast<const void*>(a->after_commit), "after_commit");
    need(reinterpret_cast<const void*>(a->on_database_event), "on_database_event");
    need(reinterpret_cast<const void*>(a->describe_database), "describe_database");
    need(reinterpret_cast<const void*>(a->collect_metrics), "collect_metrics");
    return missing;
}

}  // namespace detail

inline Result<std::unique_ptr<LoadedPlugin>> load_plugin(const std::string& path, const ccdr_host_api* host_api) {
    auto fail = [&](ccdr_status code, const std::string& reason) {
        return Status(code, "cannot load plugin " + path + ": " + reason);
    };
    if (!std::filesystem::is_regular_file(path)) {
        return fail(CCDR_IO_ERROR, "no such file");
    }
    if (!detail::has_elf_magic(path)) {
        return fail(CCDR_INVALID_ARGUMENT, "not a shared library (no ELF header)");
    }
    int flags = RTLD_NOW | RTLD_LOCAL;
#ifdef CCDR_SANITIZED
    flags |= RTLD_NODELETE;
#endif
    void* handle = dlopen(path.c_str(), flags);
    if (handle == nullptr) {
        const char* why = dlerror();
        return fail(CCDR_INVALID_ARGUMENT, std::string("not a loadable shared library (") + (why ? why : "?") + ")");
    }
    auto close = [&] { dlclose(handle); };
    void* sym = dlsym(handle, CCDR_PLUGIN_ENTRY_SYMBOL);
    if (sym == nullptr) {
        close();
        return fail(CCDR_INVALID_ARGUMENT, "missing ccdr_plugin_entry (not a ccdr plugin)");
    }
    auto entry = reinterpret_cast<ccdr_plugin_entry_fn>(sym);
    const ccdr_plugin_api* api = nullptr;
    auto err = make_error();
    ccdr_status st = entry(host_api, &api, &err);
    if (st != CCDR_OK) {
        close();
        return fail(st, std::string("ccdr_plugin_entry refused: ") + err.message);
    }
    if (api == nullptr) {
        close();
        return fail(CCDR_INVALID_ARGUMENT, "ccdr_plugin_entry returned no vtable");
    }
    if (api->hdr.major != CCDR_ABI_VERSION_MAJOR) {
        std::string msg = "ABI major version mismatch: plugin is built for ccdr ABI " +
                          detail::version_text(api->hdr.major, api->hdr.minor) + ", host provides " +
                          detail::version_text(CCDR_ABI_VERSION_MAJOR, CCDR_ABI_VERSION_MINOR);
        close();
        return fail(CCDR_VERSION_MISMATCH, msg);
    }
    if (!CCDR_HAS_FIELD(api, ccdr_plugin_api, collect_metrics)) {
        std::string msg = "plugin vtable too small (" + std::to_string(api->hdr.struct_size) + " bytes; ABI 1.0 needs " +
                          std::to_string(offsetof(ccdr_plugin_api, collect_metrics) + sizeof(void*)) + ")";
        close();
        return fail(CCDR_VERSION_MISMATCH, msg);
    }
    std::string missing = detail::missing_plugin_functions(api);
    if (!missing.empty()) {
        close();
        return fail(CCDR_INVALID_ARGUMENT, "missing functions: " + missing);
    }
    return std::make_unique<LoadedPlugin>(path, handle, api);
}

// Every *.so in `dir`, in name order. A directory without plugins is no error.
inline Result<std::vector<std::unique_ptr<LoadedPlugin>>> load_plugins_dir(const std::string& dir,
                                                                          const ccdr_host_api* host_api) {
    std::vector<std::unique_ptr<LoadedPlugin>> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return Status(CCDR_IO_ERROR, "plugins directory " + dir + " does not exist");
    }
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".so") {
            paths.push_back(e.path().string());
        }
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
        auto loaded = load_plugin(p, host_api);
        if (!loaded) {
            return loaded.status();
        }
        out.push_back(std::move(loaded.value()));
    }
    return out;
}

// Drives one plugin instance from the host: create, start, stop, destroy
// (RAII), and the host -> plugin calls in C++ form.
class PluginInstanceHandle {
public:
    PluginInstanceHandle(const ccdr_plugin_api* api, ccdr_plugin_ctx* ctx) : api_(api), ctx_(ctx) {}
    ~PluginInstanceHandle() {
        if (ctx_ != nullptr) {
            if (started_) {
                api_->stop(ctx_);
            }
            api_->destroy(ctx_);
        }
    }
    PluginInstanceHandle(const PluginInstanceHandle&) = delete;
    PluginInstanceHandle& operator=(const PluginInstanceHandle&) = delete;

    static Result<std::unique_ptr<PluginInstanceHandle>> create(const ccdr_plugin_api* api,
                                                                const ccdr_host_api* host_api,
                                                                ccdr_host_ctx* host) {
        ccdr_plugin_ctx* ctx = nullptr;
        auto err = make_error();
        ccdr_status st = api->create(host_api, host, &ctx, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return std::make_unique<PluginInstanceHandle>(api, ctx);
    }

    Status start() {
        auto err = make_error();
        Status st = Status::from_abi(api_->start(ctx_, &err), err);
        started_ = st.is_ok();
        return st;
    }
    void stop() {
        if (started_) {
            api_->stop(ctx_);
            started_ = false;
        }
    }

    Status before_commit(std::string_view database, ccdr_origin origin, std::string_view user) const {
        ccdr_commit_info info{};
        info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_commit_info);
        info.database = to_abi(database);
        info.origin = origin;
        info.user = to_abi(user);
        auto err = make_error();
        return Status::from_abi(api_->before_commit(ctx_, &info, &err), err);
    }
    void after_commit(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) const {
        api_->after_commit(ctx_, to_abi(database), tx_id, commit_time_ms);
    }
    void on_database_event(std::string_view database, ccdr_event_kind event, ccdr_member_role role,
                           ccdr_database_kind kind) const {
        ccdr_database_event ev{};
        ev.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_database_event);
        ev.database = to_abi(database);
        ev.event = event;
        ev.role = role;
        ev.kind = kind;
        api_->on_database_event(ctx_, &ev);
    }
    ccdr_database_status describe_database(std::string_view database) const {
        ccdr_database_status out{};
        out.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_database_status);
        if (api_->describe_database(ctx_, to_abi(database), &out) != CCDR_OK) {
            out.state = CCDR_REPLICA_NONE;
        }
        return out;
    }
    void collect_metrics(const std::function<void(std::string_view, ccdr_metric_type, double)>& emit) const {
        ccdr_metric_sink sink{CCDR_HEADER_INIT(ccdr_metric_sink), const_cast<void*>(static_cast<const void*>(&emit)),
                              [](void* c, const ccdr_metric* m) {
                                  auto* f = static_cast<const std::function<void(std::string_view, ccdr_metric_type,
                                                                                 double)>*>(c);
                                  (*f)(to_view(m->name), static_cast<ccdr_metric_type>(m->type), m->value);
                              }};
        api_->collect_metrics(ctx_, &sink);
    }

    // --- ABI 1.2 ---
    // True when the plugin's vtable has list_subscriptions.
    bool has_list_subscriptions() const {
        return CCDR_HAS_FIELD(api_, ccdr_plugin_api, list_subscriptions) && api_->list_subscriptions != nullptr;
    }
    // The instance's replica subscriptions into `out`; CCDR_UNSUPPORTED,
    // without calling, naming the plugin's ABI version when it lacks the hook.
    Status list_subscriptions(std::string_view database, const ccdr_subscription_sink& out) const {
        if (!has_list_subscriptions()) {
            return Status(CCDR_UNSUPPORTED, "the plugin provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                "; listing replica subscriptions needs 1.2 or later");
        }
        auto err = make_error();
        return Status::from_abi(api_->list_subscriptions(ctx_, to_abi(database), &out, &err), err);
    }

    // True when the plugin's vtable has log_hold.
    bool has_log_hold() const {
        return CCDR_HAS_FIELD(api_, ccdr_plugin_api, log_hold) && api_->log_hold != nullptr;
    }
    // The first tx of info.database's log the instance wants kept (ABI 1.2
    // log_hold); CCDR_UNSUPPORTED, without calling, when the plugin lacks it.
    Result<uint64_t> log_hold(const ccdr_log_prune_info& info) const {
        if (!has_log_hold()) {
            return Status(CCDR_UNSUPPORTED, "the plugin provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                " without log_hold; holding the log for replicas needs it");
        }
        auto err = make_error();
        uint64_t keep = info.retention_keep_from_tx;
        Status st = Status::from_abi(api_->log_hold(ctx_, &info, &keep, &err), err);
        if (!st) {
            return st;
        }
        return keep;
    }

    // True when the plugin's vtable has after_commit_txs.
    bool has_after_commit_txs() const {
        return CCDR_HAS_FIELD(api_, ccdr_plugin_api, after_commit_txs) && api_->after_commit_txs != nullptr;
    }
    // Transactions that became durable, with their payloads (ABI 1.2
    // after_commit_txs: consecutive ids, at least one). A plugin without the
    // hook hears after_commit with the last of them, which means the same.
    void after_commit_txs(std::string_view database, std::span<const ccdr_tx> txs) const {
        if (txs.empty()) {
            return;
        }
        if (!has_after_commit_txs()) {
            after_commit(database, txs.back().tx_id, txs.back().commit_time_ms);
            return;
        }
        api_->after_commit_txs(ctx_, to_abi(database), txs.data(), txs.size());
    }

    const ccdr_plugin_api* api() const { return api_; }
    ccdr_plugin_ctx* ctx() const { return ctx_; }

private:
    const ccdr_plugin_api* api_;
    ccdr_plugin_ctx* ctx_;
    bool started_ = false;
};

}  // namespace ccdr
