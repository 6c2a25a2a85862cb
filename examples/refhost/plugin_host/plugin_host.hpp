// examples/refhost/plugin_host/plugin_host.hpp: the ccdr plugins of a
// cluster: every *.so of the plugins directory loaded once, its ccdr.*
// settings validated, and one instance per logical server, each with its
// own ccdr::HostServer (ServerHost). Implements PluginBridge, through which
// the DBMS reaches the instances of a server.
#pragma once

#include "config/config.hpp"
#include "dbms/plugin_bridge.hpp"
#include "logging/debug_log.hpp"

#include <ccdr/plugin_loader.hpp>
#include <ccdr/procedure.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace refhost {

class Cluster;
class ServerHost;

class PluginHost final : public PluginBridge {
public:
    // Loads every plugin (any loader error refuses the start), checks the
    // configuration's ccdr.* keys against their declarations and
    // validate_setting, and records every declared key's value in `config`.
    static ccdr::Result<std::unique_ptr<PluginHost>> load(Config& config, const DebugLog& log);
    ~PluginHost() override;

    // One instance per server per plugin (create: settings, procedures).
    ccdr::Status create_instances(Cluster& cluster);
    // start() on every instance.
    ccdr::Status start();
    // stop() on every instance (graceful), then destroy().
    void stop();
    void destroy();

    size_t plugin_count() const { return plugins_.size(); }
    const ccdr::LoadedPlugin& plugin(size_t i) const { return *plugins_[i]; }

    // For ServerHost.
    ccdr::Status register_procedure(size_t server, size_t plugin, const ccdr_procedure_def& def);
    // Passes the replica subscriptions of `plugin`'s instance on `server` to
    // `out` (ABI 1.2 list_subscriptions). A failure is the server's (no such
    // instance, a plugin without the hook, the hook failed), except when
    // `out` itself stopped the listing: then `stopped` is set.
    ccdr::Status list_subscriptions(size_t server, size_t plugin, std::string_view database,
                                    const ccdr_subscription_sink& out, bool& stopped);

    // --- PluginBridge ---
    ccdr::Status before_commit(size_t server, std::string_view database, ccdr_origin origin,
                               std::string_view user) override;
    void after_commit(size_t server, std::string_view database, uint64_t tx_id, int64_t time_ms) override;
    void after_commit_txs(size_t server, std::string_view database, std::span<const ccdr_tx> txs) override;
    void database_event(size_t server, std::string_view database, ccdr_event_kind event, ccdr_member_role role,
                        ccdr_database_kind kind) override;
    std::optional<ccdr_database_status> describe_database(size_t server, std::string_view database) override;
    void collect_metrics(size_t server, const MetricEmit& emit) override;
    uint64_t log_hold(size_t server, const ccdr_log_prune_info& info) override;
    std::vector<ProcedureInfo> procedures(size_t server) override;
    Outcome<std::vector<std::string>> call_procedure(size_t server, const std::string& name, const List& args,
                                                     const AuthUser& user, const std::string& session_database,
                                                     const RowSink& sink) override;

private:
    explicit PluginHost(const DebugLog& log);

    struct Instance {
        size_t plugin = 0;
        std::unique_ptr<ServerHost> host;
        std::unique_ptr<ccdr::PluginInstanceHandle> handle;
    };

    const DebugLog& log_;
    std::vector<std::unique_ptr<ccdr::LoadedPlugin>> plugins_;
    std::vector<std::vector<Instance>> instances_;  // per server

    std::mutex procedures_mu_;
    std::vector<std::map<std::string, ccdr::Procedure>> procedures_;  // per server
};

}  // namespace refhost
