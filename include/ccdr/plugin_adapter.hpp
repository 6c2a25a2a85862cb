// ccdr/plugin_adapter.hpp: builds a plugin's ccdr_plugin_api vtable from C++.
//
// A plugin implements PluginInstance (one per logical server) and a Traits
// type with static members:
//   static constexpr std::string_view name, version;
//   static std::span<const ccdr_setting_def> settings();
//   static Status validate_setting(std::string_view key, std::string_view value);
//   static Result<std::unique_ptr<PluginInstance>> create(HostHandle host);
// plugin_api<Traits>() returns a vtable of thunks. The thunks are the
// exception barrier: no C++ exception crosses the C boundary.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/host_handle.hpp>
#include <ccdr/span.hpp>
#include <ccdr/status.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr {

using MetricEmitter = std::function<void(std::string_view name, ccdr_metric_type type, double value)>;

class PluginInstance {
public:
    virtual ~PluginInstance() = default;
    virtual Status start() = 0;
    virtual void stop() = 0;
    virtual Status before_commit(const ccdr_commit_info& info) = 0;
    virtual void after_commit(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) = 0;
    virtual void on_database_event(const ccdr_database_event& event) = 0;
    // Fills state, lag and message; `out` arrives zeroed with state NONE.
    virtual void describe_database(std::string_view database, ccdr_database_status& out) = 0;
    virtual void collect_metrics(const MetricEmitter& emit) = 0;
    // ABI 1.2: the replica subscriptions this instance serves (of
    // `database`; empty: all). Never blocks. An instance that serves none
    // keeps this default.
    virtual Result<std::vector<SubscriptionInfo>> list_subscriptions(std::string_view database) {
        (void)database;
        return std::vector<SubscriptionInfo>{};
    }
    // ABI 1.2 log_hold: the first tx of `info.database`'s log to keep for the
    // replica members this instance serves, given the host's retention
    // (info.retention_keep_from_tx). May call info.measure_log. An instance
    // that holds nothing keeps this default.
    virtual Result<uint64_t> log_hold(const ccdr_log_prune_info& info) { return info.retention_keep_from_tx; }
    // ABI 1.2 after_commit_txs: the transactions that became durable, with
    // their payloads (consecutive ids, at least one; borrowed for the call).
    // An instance that keeps nothing of them keeps this default, which is
    // after_commit with the last one.
    virtual void after_commit_txs(std::string_view database, std::span<const ccdr_tx> txs) {
        after_commit(database, txs.back().tx_id, txs.back().commit_time_ms);
    }
};

// Copies a message into a fixed C buffer, NUL-terminated, truncated to fit.
inline void copy_message(char* dst, size_t cap, std::string_view msg) {
    size_t n = std::min(msg.size(), cap - 1);
    std::memcpy(dst, msg.data(), n);
    dst[n] = '\0';
}

namespace detail {

inline PluginInstance* instance(ccdr_plugin_ctx* ctx) { return reinterpret_cast<PluginInstance*>(ctx); }

inline ccdr_status exception_status(ccdr_error* err) {
    try {
        throw;
    } catch (const std::exception& e) {
        return Status(CCDR_INTERNAL, std::string("unexpected exception in plugin: ") + e.what()).fill(err);
    } catch (...) {
        return Status(CCDR_INTERNAL, "unexpected exception in plugin").fill(err);
    }
}

template <typename Traits>
struct PluginThunks {
    static ccdr_status validate_setting(ccdr_string key, ccdr_string value, ccdr_error* err) {
        try {
            return Traits::validate_setting(to_view(key), to_view(value)).fill(err);
        } catch (...) {
            return exception_status(err);
        }
    }
    static ccdr_status create(const ccdr_host_api* api, ccdr_host_ctx* host, ccdr_plugin_ctx** out, ccdr_error* err) {
        try {
            if (api == nullptr || host == nullptr || out == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "create: null argument").fill(err);
            }
            auto made = Traits::create(HostHandle(api, host));
            if (!made) {
                return made.status().fill(err);
            }
            *out = reinterpret_cast<ccdr_plugin_ctx*>(made.value().release());
            return CCDR_OK;
        } catch (...) {
            return exception_status(err);
        }
    }
    static ccdr_status start(ccdr_plugin_ctx* p, ccdr_error* err) {
        try {
            return instance(p)->start().fill(err);
        } catch (...) {
            return exception_status(err);
        }
    }
    static void stop(ccdr_plugin_ctx* p) {
        try {
            instance(p)->stop();
        } catch (...) {
            // stop must not fail; the instance logs what went wrong itself.
        }
    }
    static void destroy(ccdr_plugin_ctx* p) {
        try {
            delete instance(p);
        } catch (...) {
        }
    }
    static ccdr_status before_commit(ccdr_plugin_ctx* p, const ccdr_commit_info* info, ccdr_error* err) {
        try {
            return instance(p)->before_commit(*info).fill(err);
        } catch (...) {
            return exception_status(err);
        }
    }
    static void after_commit(ccdr_plugin_ctx* p, ccdr_string db, uint64_t tx_id, int64_t t) {
        try {
            instance(p)->after_commit(to_view(db), tx_id, t);
        } catch (...) {
        }
    }
    static void after_commit_txs(ccdr_plugin_ctx* p, ccdr_string db, const ccdr_tx* txs, size_t count) {
        try {
            if (txs == nullptr || count == 0) {
                return;  // nothing became durable: there is nothing to say
            }
            instance(p)->after_commit_txs(to_view(db), std::span<const ccdr_tx>(txs, count));
        } catch (...) {
        }
    }
    static void on_database_event(ccdr_plugin_ctx* p, const ccdr_database_event* ev) {
        try {
            instance(p)->on_database_event(*ev);
        } catch (...) {
        }
    }
    static ccdr_status describe_database(ccdr_plugin_ctx* p, ccdr_string db, ccdr_database_status* out) {
        try {
            ccdr_database_status tmp{};
            tmp.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_database_status);
            instance(p)->describe_database(to_view(db), tmp);
            // The host's struct may be older (smaller): copy what it has room for.
            size_t n = std::min<size_t>(out->hdr.struct_size, sizeof(tmp));
            ccdr_header keep = out->hdr;
            std::memcpy(out, &tmp, n);
            out->hdr = keep;
            return CCDR_OK;
        } catch (...) {
            return CCDR_INTERNAL;
        }
    }
    static void collect_metrics(ccdr_plugin_ctx* p, const ccdr_metric_sink* sink) {
        try {
            instance(p)->collect_metrics([sink](std::string_view name, ccdr_metric_type type, double value) {
                ccdr_metric m{};
                m.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_metric);
                m.name = to_abi(name);
                m.type = type;
                m.value = value;
                sink->emit(sink->ctx, &m);
            });
        } catch (...) {
        }
    }
    static ccdr_status list_subscriptions(ccdr_plugin_ctx* p, ccdr_string db, const ccdr_subscription_sink* out,
                                          ccdr_error* err) {
        try {
            if (out == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "list_subscriptions: null sink").fill(err);
            }
            auto rows = instance(p)->list_subscriptions(to_view(db));
            if (!rows) {
                return rows.status().fill(err);
            }
            for (const auto& row : *rows) {
                const ccdr_subscription_info info = subscription_to_abi(row);
                const ccdr_status st = out->subscription(out->ctx, &info);
                if (st != CCDR_OK) {
                    return Status(st, "the host stopped the listing of subscriptions").fill(err);
                }
            }
            return CCDR_OK;
        } catch (...) {
            return exception_status(err);
        }
    }
    static ccdr_status log_hold(ccdr_plugin_ctx* p, const ccdr_log_prune_info* info, uint64_t* keep_from_tx,
                                ccdr_error* err) {
        try {
            if (info == nullptr || keep_from_tx == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "log_hold: null argument").fill(err);
            }
            if (!CCDR_HAS_FIELD(info, ccdr_log_prune_info, measure_log) || info->measure_log == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "log_hold: the host's ccdr_log_prune_info has no measure_log")
                    .fill(err);
            }
            auto keep = instance(p)->log_hold(*info);
            if (!keep) {
                return keep.status().fill(err);
            }
            *keep_from_tx = *keep;
            return CCDR_OK;
        } catch (...) {
            return exception_status(err);
        }
    }
};

}  // namespace detail

template <typename Traits>
const ccdr_plugin_api* plugin_api() {
    using T = detail::PluginThunks<Traits>;
    static const ccdr_plugin_api api = [] {
        ccdr_plugin_api a{};
        a.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_plugin_api);
        a.name = to_abi(Traits::name);
        a.version = to_abi(Traits::version);
        a.settings = Traits::settings().data();
        a.setting_count = Traits::settings().size();
        a.validate_setting = &T::validate_setting;
        a.create = &T::create;
        a.start = &T::start;
        a.stop = &T::stop;
        a.destroy = &T::destroy;
        a.before_commit = &T::before_commit;
        a.after_commit = &T::after_commit;
        a.on_database_event = &T::on_database_event;
        a.describe_database = &T::describe_database;
        a.collect_metrics = &T::collect_metrics;
        a.list_subscriptions = &T::list_subscriptions;
        a.log_hold = &T::log_hold;
        a.after_commit_txs = &T::after_commit_txs;
        return a;
    }();
    return &api;
}

// The checks every plugin's ccdr_plugin_entry makes on the host's vtable.
inline Status check_host_api(const ccdr_host_api* host, std::string_view plugin_name) {
    if (host == nullptr) {
        return {CCDR_INVALID_ARGUMENT, std::string(plugin_name) + ": the host passed no vtable"};
    }
    if (host->hdr.major != CCDR_ABI_VERSION_MAJOR) {
        return {CCDR_VERSION_MISMATCH,
                std::string(plugin_name) + " needs ccdr ABI " + std::to_string(CCDR_ABI_VERSION_MAJOR) + "." +
                    std::to_string(CCDR_ABI_VERSION_MINOR) + ", host provides " + std::to_string(host->hdr.major) +
                    "." + std::to_string(host->hdr.minor) + " (major versions differ)"};
    }
    // Every function of 1.0 must be there; later minors are checked where used.
    if (!CCDR_HAS_FIELD(host, ccdr_host_api, get_database_option)) {
        return {CCDR_VERSION_MISMATCH, std::string(plugin_name) + ": host vtable too small (" +
                                           std::to_string(host->hdr.struct_size) + " bytes)"};
    }
    std::string missing;
    auto need = [&](const void* fn, const char* name) {
        if (fn == nullptr) {
            missing += missing.empty() ? name : std::string(", ") + name;
        }
    };
    need(reinterpret_cast<const void*>(host->log), "log");
    need(reinterpret_cast<const void*>(host->get_setting), "get_setting");
    need(reinterpret_cast<const void*>(host->server_info), "server_info");
    need(reinterpret_cast<const void*>(host->register_procedure), "register_procedure");
    need(reinterpret_cast<const void*>(host->log_info), "log_info");
    need(reinterpret_cast<const void*>(host->read_log), "read_log");
    need(reinterpret_cast<const void*>(host->apply_batch), "apply_batch");
    need(reinterpret_cast<const void*>(host->snapshot_export), "snapshot_export");
    need(reinterpret_cast<const void*>(host->snapshot_import), "snapshot_import");
    need(reinterpret_cast<const void*>(host->create_database), "create_database");
    need(reinterpret_cast<const void*>(host->drop_database), "drop_database");
    need(reinterpret_cast<const void*>(host->set_database_kind), "set_database_kind");
    need(reinterpret_cast<const void*>(host->set_topology), "set_topology");
    need(reinterpret_cast<const void*>(host->database_info), "database_info");
    need(reinterpret_cast<const void*>(host->set_database_option), "set_database_option");
    need(reinterpret_cast<const void*>(host->get_database_option), "get_database_option");
    if (!missing.empty()) {
        return {CCDR_INVALID_ARGUMENT, std::string(plugin_name) + ": host vtable lacks functions: " + missing};
    }
    return {};
}

}  // namespace ccdr
