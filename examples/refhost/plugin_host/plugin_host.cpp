#include "plugin_host/plugin_host.hpp"

#include "common/client_error.hpp"
#include "common/value_conv.hpp"
#include "dbms/cluster.hpp"
#include "plugin_host/server_host.hpp"
#include "security/privileges.hpp"

#include <ccdr/span.hpp>

namespace refhost {

ccdr::Result<std::unique_ptr<PluginHost>> PluginHost::load(Config& config, const DebugLog& log) {
    std::unique_ptr<PluginHost> host(new PluginHost(log));
    std::error_code ec;
    std::filesystem::path dir = config.plugins_dir();
    if (std::filesystem::is_directory(dir, ec)) {
        auto loaded = ccdr::load_plugins_dir(dir.string(), ccdr::host_api());
        if (!loaded) {
            return loaded.status();
        }
        host->plugins_ = std::move(loaded.value());
    }
    // Every ccdr.* key given must be declared by a plugin, and valid for it.
    for (const auto& given : config.plugin_keys()) {
        const ccdr::LoadedPlugin* owner = nullptr;
        for (const auto& p : host->plugins_) {
            for (size_t i = 0; i < p->api()->setting_count; ++i) {
                if (ccdr::to_view(p->api()->settings[i].name) == given.key) {
                    owner = p.get();
                }
            }
        }
        if (owner == nullptr) {
            std::string loaded;
            for (const auto& p : host->plugins_) {
                loaded += (loaded.empty() ? "" : ", ") + std::string(p->name()) + " " + std::string(p->version());
            }
            return ccdr::Status(CCDR_INVALID_SETTING,
                                setting_error(given.key, given.value, given.origin,
                                              "unknown setting (no loaded plugin declares it; loaded plugins: " +
                                                  (loaded.empty() ? std::string("none") : loaded) + ")"));
        }
        auto err = ccdr::make_error();
        ccdr_status st = owner->api()->validate_setting(ccdr::to_abi(given.key), ccdr::to_abi(given.value), &err);
        if (st != CCDR_OK) {
            return ccdr::Status(CCDR_INVALID_SETTING, "Invalid setting (" + given.origin + "), refused by plugin " +
                                                          std::string(owner->name()) + ": " + err.message);
        }
    }
    for (const auto& p : host->plugins_) {
        for (size_t i = 0; i < p->api()->setting_count; ++i) {
            std::string key = ccdr::to_string(p->api()->settings[i].name);
            std::string value = ccdr::to_string(p->api()->settings[i].default_value);
            for (const auto& given : config.plugin_keys()) {
                if (given.key == key) {
                    value = given.value;
                }
            }
            config.set_plugin_value(key, value);
        }
    }
    return host;
}

PluginHost::PluginHost(const DebugLog& log) : log_(log) {}

PluginHost::~PluginHost() {
    stop();
    destroy();
}

ccdr::Status PluginHost::create_instances(Cluster& cluster) {
    size_t servers = cluster.servers().size();
    instances_.resize(servers);
    {
        std::lock_guard lock(procedures_mu_);
        procedures_.resize(servers);
    }
    for (size_t s = 0; s < servers; ++s) {
        for (size_t p = 0; p < plugins_.size(); ++p) {
            std::string name(plugins_[p]->name());
            auto log = log_.logger(name + "/" + cluster.servers()[s].name);
            auto host = std::make_unique<ServerHost>(cluster, *this, s, p, name, log);
            host->allow_registration(true);
            auto handle = ccdr::PluginInstanceHandle::create(plugins_[p]->api(), ccdr::host_api(), host->ctx());
            if (!handle) {
                return handle.status().with_context("plugin " + name + " (" + plugins_[p]->path() +
                                                    ") refused to create its instance for " +
                                                    cluster.servers()[s].name);
            }
            instances_[s].push_back(Instance{p, std::move(host), std::move(handle.value())});
        }
    }
    return {};
}

ccdr::Status PluginHost::start() {
    for (auto& per_server : instances_) {
        for (auto& inst : per_server) {
            ccdr::Status st = inst.handle->start();
            inst.host->allow_registration(false);
            if (!st) {
                return st.with_context("plugin " + std::string(plugins_[inst.plugin]->name()) + " failed to start");
            }
        }
    }
    return {};
}

void PluginHost::stop() {
    for (auto& per_server : instances_) {
        for (auto& inst : per_server) {
            inst.handle->stop();
        }
    }
}

void PluginHost::destroy() {
    // Handles destroy their instances; hosts go after them.
    for (auto& per_server : instances_) {
        for (auto& inst : per_server) {
            inst.handle.reset();
        }
    }
    instances_.clear();
    std::lock_guard lock(procedures_mu_);
    procedures_.clear();
}

ccdr::Status PluginHost::register_procedure(size_t server, size_t /*plugin*/, const ccdr_procedure_def& def) {
    auto proc = ccdr::Procedure::copy(def);
    if (!proc) {
        return proc.status();
    }
    std::lock_guard lock(procedures_mu_);
    auto& table = procedures_[server];
    if (table.count(proc->name) != 0) {
        return {CCDR_INVALID_ARGUMENT, "procedure " + proc->name + " is already registered"};
    }
    table.emplace(proc->name, std::move(proc.value()));
    return {};
}

ccdr::Status PluginHost::list_subscriptions(size_t server, size_t plugin, std::string_view database,
                                           const ccdr_subscription_sink& out, bool& stopped) {
    stopped = false;
    const ccdr::PluginInstanceHandle* handle = nullptr;
    if (server < instances_.size()) {
        for (const auto& inst : instances_[server]) {
            if (inst.plugin == plugin) {
                handle = inst.handle.get();
            }
        }
    }
    if (handle == nullptr) {
        return {CCDR_STOPPED, "the plugin has no running instance on this server"};
    }
    // Forward each row; remember whether the caller's sink said stop, so
    // that is not taken for the server's failure.
    struct Forward {
        const ccdr_subscription_sink* out;
        bool* stopped;
    } forward{&out, &stopped};
    ccdr_subscription_sink relay{CCDR_HEADER_INIT(ccdr_subscription_sink), &forward,
                                 [](void* c, const ccdr_subscription_info* info) -> ccdr_status {
                                     auto* f = static_cast<Forward*>(c);
                                     ccdr_status st = f->out->subscription(f->out->ctx, info);
                                     if (st != CCDR_OK) {
                                         *f->stopped = true;
                                     }
                                     return st;
                                 },
                                 [](void*, ccdr_string, ccdr_status, ccdr_string) -> ccdr_status {
                                     return CCDR_OK;  // an instance never reports other servers
                                 }};
    return handle->list_subscriptions(database, relay);
}

ccdr::Status PluginHost::before_commit(size_t server, std::string_view database, ccdr_origin origin,
                                       std::string_view user) {
    if (server >= instances_.size()) {
        return {};
    }
    for (const auto& inst : instances_[server]) {
        ccdr::Status st = inst.handle->before_commit(database, origin, user);
        if (!st) {
            return st;
        }
    }
    return {};
}

void PluginHost::after_commit(size_t server, std::string_view database, uint64_t tx_id, int64_t time_ms) {
    if (server >= instances_.size()) {
        return;
    }
    for (const auto& inst : instances_[server]) {
        inst.handle->after_commit(database, tx_id, time_ms);
    }
}

void PluginHost::after_commit_txs(size_t server, std::string_view database, std::span<const ccdr_tx> txs) {
    if (server >= instances_.size() || txs.empty()) {
        return;
    }
    for (const auto& inst : instances_[server]) {
        inst.handle->after_commit_txs(database, txs);
    }
}

void PluginHost::database_event(size_t server, std::string_view database, ccdr_event_kind event,
                                ccdr_member_role role, ccdr_database_kind kind) {
    if (server >= instances_.size()) {
        return;
    }
    for (const auto& inst : instances_[server]) {
        inst.handle->on_database_event(database, event, role, kind);
    }
}

std::optional<ccdr_database_status> PluginHost::describe_database(size_t server, std::string_view database) {
    if (server >= instances_.size()) {
        return std::nullopt;
    }
    for (const auto& inst : instances_[server]) {
        ccdr_database_status st = inst.handle->describe_database(database);
        if (st.state != CCDR_REPLICA_NONE) {
            return st;
        }
    }
    return std::nullopt;
}

void PluginHost::collect_metrics(size_t server, const MetricEmit& emit) {
    if (server >= instances_.size()) {
        return;
    }
    for (const auto& inst : instances_[server]) {
        inst.handle->collect_metrics(emit);
    }
}

uint64_t PluginHost::log_hold(size_t server, const ccdr_log_prune_info& info) {
    uint64_t keep = info.retention_keep_from_tx;
    if (server >= instances_.size()) {
        return keep;
    }
    for (const auto& inst : instances_[server]) {
        if (!inst.handle->has_log_hold()) {
            continue;  // an older plugin: its replicas get the retention policy, as before 1.2
        }
        auto answer = inst.handle->log_hold(info);
        if (!answer) {
            log_.logger("plugins")->warn("plugin {} could not say which log of '{}' to hold for replicas ({}): "
                                         "pruning by the retention policy",
                                         plugins_[inst.plugin]->name(), ccdr::to_view(info.database),
                                         answer.status().message());
            continue;
        }
        keep = std::min(keep, *answer);
    }
    return keep;
}

std::vector<ProcedureInfo> PluginHost::procedures(size_t server) {
    std::vector<ProcedureInfo> out;
    std::lock_guard lock(procedures_mu_);
    if (server >= procedures_.size()) {
        return out;
    }
    for (const auto& [name, p] : procedures_[server]) {
        const char* mode = p.mode == CCDR_MODE_READ ? "READ" : p.mode == CCDR_MODE_WRITE ? "WRITE" : "DBMS";
        out.push_back(ProcedureInfo{name, p.signature(), p.description, mode, p.admin_only});
    }
    return out;
}

Outcome<std::vector<std::string>> PluginHost::call_procedure(size_t server, const std::string& name,
                                                             const List& args, const AuthUser& user,
                                                             const std::string& session_database,
                                                             const RowSink& sink) {
    std::optional<ccdr::Procedure> proc;
    {
        std::lock_guard lock(procedures_mu_);
        if (server < procedures_.size()) {
            auto it = procedures_[server].find(name);
            if (it != procedures_[server].end()) {
                proc = it->second;
            }
        }
    }
    if (!proc) {
        return make_error(status::kProcedureNotFound,
                          "There is no procedure with the name `" + name +
                              "` registered for this database instance. Please ensure you've spelled the procedure "
                              "name correctly and that the procedure is properly deployed.");
    }
    if (proc->admin_only && !user.is_admin()) {
        return make_error(status::kForbidden, "Executing procedure is not allowed for " +
                                                  security::describe_user(user.name, user.roles) + ".");
    }
    ccdr::ValueList given;
    for (size_t i = 0; i < args.size(); ++i) {
        if (const char* bad = abi_unrepresentable(args[i])) {
            return make_error(status::kProcedureCallFailed,
                              "Failed to invoke procedure `" + name + "`: argument " + std::to_string(i + 1) +
                                  " holds a " + bad + " value, which plugin procedures cannot take.");
        }
        given.push_back(to_ccdr(args[i]));
    }
    auto bound = proc->bind(std::move(given));
    if (!bound) {
        return client_error(bound.status());
    }
    auto rows = proc->invoke(*bound, user.name, session_database, user.is_admin());
    if (!rows) {
        ccdr::Status st = rows.status();
        if (st.code() == CCDR_PROCEDURE_CALL_FAILED) {
            return make_error(status::kProcedureCallFailed,
                              "Failed to invoke procedure `" + name + "`: Caused by: " + st.message());
        }
        return client_error(st);
    }
    for (const auto& row : *rows) {
        List out;
        for (const auto& v : row) {
            out.push_back(from_ccdr(v));
        }
        sink(std::move(out));
    }
    std::vector<std::string> columns;
    for (const auto& f : proc->outputs) {
        columns.push_back(f.name);
    }
    return columns;
}

}  // namespace refhost
