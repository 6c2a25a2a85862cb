#include "ccdr_plugin.hpp"

#include "logging/host_log_sink.hpp"
#include "replica/member_setup.hpp"
#include "replica/store_copy_spool.hpp"
#include "replica/pending_hold_releases.hpp"
#include "runtime/wall_clock.hpp"
#include "settings/tls_policy.hpp"

#include <ccdr/span.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace ccdr::plugin {
namespace {

// Neo4j's own words for a write to a read-only database.
constexpr const char* kReadOnlyMessage =
    "No write operations are allowed on this database. This is a read only Neo4j instance.";

// I/O threads carry sockets and coroutines; the blocking pool carries the
// host's storage calls (read_log, snapshot_export, spool files). One I/O
// thread: with two, Asio handed each completion to the idle thread, and a
// commit streamed to 8 replica clusters cost the upstream 5.1 context
// switches against 2.5 with one (1.86x against 2.07x of no replica in CPU,
// docs/benchmarks.md "Upstream cost"); lag and catch-up measured the same.
// TLS and framing of one connection ran on one strand either way.
constexpr size_t kIoThreads = 1;
constexpr size_t kBlockingThreads = 4;
// Owed hold releases are asked with the connection back-off, but no more
// often than this once an upstream stays unreachable (its region may be gone
// for days).
constexpr std::chrono::milliseconds kHoldReleaseRetryMax{30'000};

}  // namespace

Result<std::unique_ptr<PluginInstance>> CcdrPlugin::create(HostHandle host, std::string_view plugin_version) {
    auto version = protocol::parse_plugin_version(plugin_version);
    if (!version) {
        return Status(CCDR_INTERNAL, "ccdr: the plugin's own version '" + std::string(plugin_version) +
                                         "' is not MAJOR.MINOR.PATCH");
    }
    auto server = host.server_info();
    if (!server) {
        return server.status().with_context("ccdr: reading the server's identity");
    }
    auto settings = read_settings(host);
    if (!settings) {
        return settings.status();
    }
    auto policy = read_tls_policy(host);
    if (!policy) {
        return policy.status();
    }
    auto security = transport::make_transport_security(*policy, settings->allow_plaintext);
    if (!security) {
        return security.status();
    }
    auto log = make_host_logger(host, server->server_id);
    std::shared_ptr<runtime::LatencyTrace> trace;
    if (!settings->latency_trace.empty()) {
        auto opened = runtime::LatencyTrace::open(settings->latency_trace, server->server_id);
        if (!opened) {
            return opened.status();
        }
        trace = std::move(opened.value());
        log->warn("ccdr.debug.latency_trace is set: the time of every replication step goes to {} (for "
                  "measurements only)",
                  trace->path());
    }
    auto plugin = std::make_unique<CcdrPlugin>(host, std::move(server.value()), std::move(settings.value()),
                                               std::move(security.value()), std::move(log), std::move(*version));
    plugin->session_.trace = std::move(trace);
    Status registered = plugin->procedures_->register_all();
    if (!registered) {
        return registered.with_context("ccdr: registering the internal.dbms procedures");
    }
    registered = plugin->verify_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(VerifyProcedure::kName));
    }
    registered = plugin->security_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(SecurityCheck::kName));
    }
    registered = plugin->subscriptions_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(SubscriptionsProcedure::kName));
    }
    registered = plugin->switchover_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(SwitchoverProcedure::kName));
    }
    registered = plugin->reattach_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(ReattachProcedure::kName));
    }
    registered = plugin->save_transactions_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(SaveTransactionsProcedure::kName));
    }
    registered = plugin->promotion_report_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(PromotionReport::kName));
    }
    registered = plugin->drill_->register_with_host();
    if (!registered) {
        return registered.with_context("ccdr: registering " + std::string(DrillProcedure::kName));
    }
    return std::unique_ptr<PluginInstance>(std::move(plugin));
}

CcdrPlugin::CcdrPlugin(HostHandle host, ServerInfo server, PluginSettings settings,
                       transport::TransportSecurity security, std::shared_ptr<spdlog::logger> log,
                       protocol::PluginVersion plugin_version) {
    session_.host = host;
    session_.plugin_version = std::move(plugin_version);
    session_.server = std::move(server);
    session_.settings = std::move(settings);
    context_.security = std::move(security);
    session_.log = std::move(log);
    // Fan-out: this server serves a replica database to the other members
    // only while its member pulls from the upstream (replica/pull_sources.hpp).
    session_.replica_serving_refusal = [this](const std::string& name) -> std::string {
        auto member = find_member(name);
        if (!member) {
            return "no replica member of '" + name + "' runs on server " + session_.server.server_id;
        }
        std::string why = member->serving_refusal();
        return why.empty() ? why
                           : why + " (a replica database is served only to the other members of its cluster, by "
                                   "its puller)";
    };
    // Fan-out: what the puller's followers still need of its log, for the
    // hold the upstream keeps for the puller (replica/puller.cpp's ACKs).
    // The members run only while the upstream service exists (start/stop).
    session_.followers_needed = [this](const std::string& name) -> std::optional<uint64_t> {
        return upstream_ ? upstream_->lowest_needed(name) : std::nullopt;
    };
    session_.log->info("ccdr {} loaded into {} {} (ABI {}.{}) for server {}", session_.plugin_version.text,
                       session_.server.host_name, session_.server.host_version, CCDR_ABI_VERSION_MAJOR,
                       CCDR_ABI_VERSION_MINOR, session_.server.server_id);
    shared_logs_ = std::make_unique<SharedLogs>(session_.host, session_.settings.batch_max_bytes);
    log_holds_ = std::make_unique<ReplicaLogHolds>(
        session_.server.data_directory.empty()
            ? std::string()
            : (std::filesystem::path(session_.server.data_directory) / "ccdr" / "replica_log_holds.tsv").string(),
        LogHoldCap{session_.settings.log_hold_max_bytes, session_.settings.log_hold_max_age.count()}, session_.log);
    pending_releases_ = std::make_unique<PendingHoldReleases>(
        session_.server.data_directory.empty()
            ? std::string()
            : (std::filesystem::path(session_.server.data_directory) / "ccdr" / "pending_hold_releases.tsv").string(),
        [this](const std::string& remote, const std::string& replica_database, const std::string& address) {
            if (!started_) {
                return HoldReleaseAttempt{false, "the ccdr plugin is not started on server " +
                                                     session_.server.server_id};
            }
            return release_upstream_hold(dialer_, remote, replica_database, address, session_.settings.io_timeout);
        },
        session_.settings.backoff_initial, std::max(session_.settings.backoff_max, kHoldReleaseRetryMax),
        session_.log);
    procedures_ = std::make_unique<ReplicaProcedures>(
        host, [this](const UpstreamLink& link) { return describe_remote(link); }, session_.log);
    procedures_->set_local([this](const std::string& database) { return find_member(database); },
                           session_.server.data_directory);
    verify_ = std::make_unique<VerifyProcedure>(
        host,
        [this](const ReplicaConfig& link, const std::string& store_id, uint64_t epoch) -> Result<UpstreamFingerprint> {
            if (!started_) {
                return Status(CCDR_STOPPED, "the ccdr plugin is not started on server " + session_.server.server_id);
            }
            return fingerprint_upstream(dialer_, link.addresses, link.remote, store_id, epoch);
        },
        session_.log);
    security_ = std::make_unique<SecurityCheck>(
        host,
        [this](const ReplicaConfig& link) -> Result<UpstreamUsers> {
            if (!started_) {
                return Status(CCDR_STOPPED, "the ccdr plugin is not started on server " + session_.server.server_id);
            }
            return users_of_upstream(dialer_, link.addresses, link.remote);
        },
        session_.log);
    subscriptions_ = std::make_unique<SubscriptionsProcedure>(host);
    auto open_session = [this](const std::vector<std::string>& addresses) {
        return open_upstream_session(addresses);
    };
    switchover_ = std::make_unique<SwitchoverProcedure>(host, session_.server.cluster_id, session_.settings.io_timeout,
                                                        open_session, session_.log);
    reattach_ = std::make_unique<ReattachProcedure>(host, session_.server.data_directory,
                                                    session_.settings.io_timeout, open_session, session_.log);
    save_transactions_ =
        std::make_unique<SaveTransactionsProcedure>(host, session_.server.data_directory, session_.log);
    heal_fence_ = std::make_unique<HealFence>(
        host, session_.server.cluster_id, session_.settings.io_timeout, open_session,
        [this] {
            std::lock_guard lock(standard_mu_);
            return std::vector<std::string>(standard_.begin(), standard_.end());
        },
        std::max(session_.settings.heartbeat_interval, std::chrono::milliseconds(1000)), session_.log);
    drill_ = std::make_unique<DrillProcedure>(host, session_.log);
    promotion_report_ = std::make_unique<PromotionReport>(
        host, [this](const ReplicaConfig& link) { return probe_upstream(link.addresses, link.remote); },
        [this](const std::string& database) { return replica_status(database); }, &runtime::wall_clock_ms);
    security_watch_ = std::make_unique<SecurityWatch>(
        *security_,
        [this] {
            std::vector<std::string> names;
            std::lock_guard lock(members_mu_);
            for (const auto& [name, member] : members_) {
                names.push_back(name);
            }
            return names;
        },
        session_.settings.security_compare_interval);
}

CcdrPlugin::~CcdrPlugin() { stop(); }

Status CcdrPlugin::start() {
    if (started_) {
        return {};
    }
    runtime_ = std::make_unique<runtime::IoRuntime>(kIoThreads, kBlockingThreads);
    session_.runtime = runtime_.get();
    runtime_->start();
    upstream_ = std::make_unique<UpstreamService>(session_, notifier_, *log_holds_, *shared_logs_);
    const auto& security = context_.security;
    if (!security.usable()) {
        session_.log->error("ccdr on server {} will not replicate: {}", session_.server.server_id,
                            security.disabled_reason);
    } else {
        if (security.plaintext) {
            session_.log->warn(
                "ccdr.allow_plaintext=true and the cluster SSL policy is disabled: replication traffic of server {} "
                "is neither encrypted nor authenticated. For development only.",
                session_.server.server_id);
        }
        UpstreamService* upstream = upstream_.get();
        server_ = std::make_shared<transport::ReplicationServer>(
            *runtime_, security.server_tls, session_.connection_options(), session_.settings.connect_timeout,
            [upstream](std::shared_ptr<transport::Connection> c) { return upstream->serve(std::move(c)); },
            session_.log);
        Status listening = server_->listen(session_.server.cluster_address);
        if (!listening) {
            server_.reset();
            runtime_->stop();
            session_.runtime = nullptr;
            upstream_.reset();
            runtime_.reset();
            return listening.with_context("ccdr on server " + session_.server.server_id);
        }
    }
    started_ = true;
    security_watch_->start();
    heal_fence_->start();
    pending_releases_->start();
    session_.log->info("ccdr started on server {} (cluster address {}, {})", session_.server.server_id,
                       session_.server.cluster_address,
                       !security.usable() ? "replication disabled" : security.plaintext ? "plaintext" : "TLS");
    return {};
}

void CcdrPlugin::stop() {
    if (started_) {
        session_.log->debug("ccdr stopping on server {}", session_.server.server_id);
    }
    // The drift check and fence on heal first: they need the runtime until they end.
    security_watch_->stop();
    heal_fence_->stop();
    pending_releases_->stop();
    if (!started_.exchange(false)) {
        return;
    }
    session_.log->debug("ccdr stopping on server {}: the replica members", session_.server.server_id);
    std::map<std::string, std::shared_ptr<ReplicaMember>, std::less<>> members;
    {
        std::lock_guard lock(members_mu_);
        members.swap(members_);
    }
    for (auto& [name, member] : members) {
        member->stop();
    }
    if (server_) {
        session_.log->debug("ccdr stopping on server {}: closing the server", session_.server.server_id);
        server_->close();
    }
    runtime_->stop();
    upstream_->remove_spools();
    session_.runtime = nullptr;
    if (session_.trace && !session_.trace->flush()) {
        session_.log->warn("ccdr.debug.latency_trace: writing {} failed; the trace is incomplete",
                           session_.trace->path());
    }
    session_.log->info("ccdr stopped on server {}", session_.server.server_id);
}

Status CcdrPlugin::before_commit(const ccdr_commit_info& info) {
    if (info.origin == CCDR_ORIGIN_USER && read_only_.contains(to_view(info.database))) {
        return {CCDR_READ_ONLY_DATABASE, kReadOnlyMessage};
    }
    return {};
}

void CcdrPlugin::after_commit(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) {
    commit_notifications_.fetch_add(1, std::memory_order_relaxed);
    notifier_.committed(database, tx_id, commit_time_ms);
    runtime::trace_step(session_.trace, "after_commit", database, tx_id, tx_id);
}

void CcdrPlugin::after_commit_txs(std::string_view database, std::span<const ccdr_tx> txs) {
    // Kept before the streams are woken, so a stream at the tip finds them.
    shared_logs_->offer(database, txs);
    after_commit(database, txs.back().tx_id, txs.back().commit_time_ms);
}

void CcdrPlugin::end_streams(const std::string& database) {
    shared_logs_->retire(database);
    notifier_.end_streams(database);
}

Result<std::unique_ptr<UpstreamSession>> CcdrPlugin::open_upstream_session(const std::vector<std::string>& addresses) {
    if (!started_) {
        return Status(CCDR_STOPPED, "the ccdr plugin is not started on server " + session_.server.server_id);
    }
    return UpstreamSession::open(dialer_, addresses);
}

void CcdrPlugin::note_standard(const std::string& database, bool standard) {
    std::lock_guard lock(standard_mu_);
    if (standard) {
        standard_.insert(database);
    } else {
        standard_.erase(database);
    }
}

std::shared_ptr<ReplicaMember> CcdrPlugin::find_member(std::string_view database) const {
    std::lock_guard lock(members_mu_);
    auto it = members_.find(database);
    return it == members_.end() ? nullptr : it->second;
}

std::shared_ptr<ReplicaMember> CcdrPlugin::take_member(const std::string& database) {
    std::lock_guard lock(members_mu_);
    auto it = members_.find(database);
    if (it == members_.end()) {
        return nullptr;
    }
    auto member = it->second;
    members_.erase(it);
    return member;
}

void CcdrPlugin::start_member(const std::string& database) {
    std::shared_ptr<ReplicaMember> member;
    {
        std::lock_guard lock(members_mu_);
        if (!started_ || members_.count(database) != 0) {
            return;
        }
        member = std::make_shared<ReplicaMember>(dialer_, database);
        members_[database] = member;
    }
    member->start();
}

void CcdrPlugin::on_database_event(const ccdr_database_event& event) {
    const std::string database = to_string(event.database);
    const bool replica = event.kind == CCDR_KIND_REPLICA;
    session_.log->debug("database event {} for {} (role {}, kind {})", event.event, database, event.role,
                        event.kind);
    switch (event.event) {
        case CCDR_EVENT_CREATED:
            read_only_.set(database, replica);
            if (replica) {
                pending_releases_->cancel(database);  // the name is a replica again: its members want holds
            }
            break;
        case CCDR_EVENT_STARTED:
            read_only_.set(database, replica);
            note_standard(database, event.kind == CCDR_KIND_STANDARD);
            if (replica) {
                pending_releases_->cancel(database);
                if (auto setup = load_member_setup(session_.host, database); setup && setup->kind == CCDR_KIND_REPLICA) {
                    std::lock_guard lock(links_mu_);
                    replica_links_[database] = setup->config;
                }
                start_member(database);
            } else if (auto member = take_member(database)) {
                member->stop();
            }
            break;
        case CCDR_EVENT_STOPPED:
            note_standard(database, false);
            end_streams(database);
            if (auto member = take_member(database)) {
                member->stop();
            }
            break;
        case CCDR_EVENT_PROMOTED:
            end_streams(database);  // a new epoch: downstream replicas must resubscribe
            read_only_.set(database, false);
            {
                std::lock_guard lock(links_mu_);
                replica_links_.erase(database);  // no longer a replica
            }
            note_standard(database, true);
            // What a member with an applyDelay had not applied is no longer
            // wanted (a promotion to a point kept it in a file first).
            if (auto member = take_member(database)) {
                member->stop();
                member->discard_delay_spool();
            } else {
                DelaySpool(session_.delay_spool_root(), database).discard();
            }
            break;
        case CCDR_EVENT_DROPPED: {
            note_standard(database, false);
            std::optional<ReplicaConfig> link;
            {
                std::lock_guard lock(links_mu_);
                if (auto it = replica_links_.find(database); it != replica_links_.end()) {
                    link = std::move(it->second);
                    replica_links_.erase(it);
                }
            }
            if (link) {
                // Each upstream address is told now, or on a later contact
                // when it cannot be reached (saved across restarts).
                pending_releases_->add(database, link->remote, link->addresses);
            }
            end_streams(database);
            read_only_.set(database, false);
            auto member = take_member(database);
            if (member) {
                member->stop();
                member->discard_spool();
            } else {
                StoreCopySpool(session_.spool_directory(), database).discard();
                DelaySpool(session_.delay_spool_root(), database).discard();
            }
            break;
        }
        default:
            break;
    }
}

void CcdrPlugin::describe_database(std::string_view database, ccdr_database_status& out) {
    if (auto member = find_member(database)) {
        member->describe(out);
    }
}

void CcdrPlugin::collect_metrics(const MetricEmitter& emit) {
    // The trace's buffer is otherwise written only by the next record, which
    // an idle database never makes: its last steps reach the file here, as
    // often as the host collects metrics.
    if (session_.trace) {
        (void)session_.trace->flush();
    }
    emit("dbms.ccdr.commit_notifications", CCDR_METRIC_COUNTER,
         static_cast<double>(commit_notifications_.load(std::memory_order_relaxed)));
    std::vector<std::shared_ptr<ReplicaMember>> members;
    {
        std::lock_guard lock(members_mu_);
        for (const auto& [name, member] : members_) {
            members.push_back(member);
        }
    }
    emit("dbms.ccdr.replica_members", CCDR_METRIC_GAUGE, static_cast<double>(members.size()));
    for (const auto& member : members) {
        member->collect_metrics(emit);
    }
    if (server_) {
        emit("dbms.ccdr.connections_accepted", CCDR_METRIC_COUNTER, static_cast<double>(server_->accepted()));
        emit("dbms.ccdr.connections_refused", CCDR_METRIC_COUNTER, static_cast<double>(server_->refused()));
        emit("dbms.ccdr.connections_open", CCDR_METRIC_GAUGE, static_cast<double>(server_->open_connections()));
    }
    if (upstream_) {
        upstream_->collect_metrics(emit);
    }
    log_holds_->collect(emit, runtime::wall_clock_ms());
    emit("dbms.ccdr.replica.hold_releases_owed", CCDR_METRIC_GAUGE, static_cast<double>(pending_releases_->count()));
    verify_->collect_metrics(emit);
    security_->collect_metrics(emit);
}

Result<uint64_t> CcdrPlugin::log_hold(const ccdr_log_prune_info& info) {
    // upstream_ exists from start() until destroy; before start nothing is
    // live and the holds read at create() answer alone.
    std::vector<LiveAck> live;
    if (started_.load() && upstream_) {
        live = upstream_->live_acks(to_view(info.database));
    }
    return log_holds_->answer(info, live);
}

Result<std::vector<SubscriptionInfo>> CcdrPlugin::list_subscriptions(std::string_view database) {
    // started_ is set after upstream_ (and cleared by stop): a stopped or
    // not yet started instance serves nothing.
    if (!started_.load() || !upstream_) {
        return std::vector<SubscriptionInfo>{};
    }
    const int64_t now = runtime::wall_clock_ms();
    auto rows = upstream_->subscriptions(database, now);
    for (auto& row : rows) {
        if (auto hold = log_holds_->hold({row.upstream_database, row.replica_cluster_id, row.replica_server_id,
                                          row.replica_database},
                                         now)) {
            row.catch_up_window_seconds = hold->catch_up_window_s;
        }
    }
    return rows;
}

Result<RemoteDatabaseInfo> CcdrPlugin::probe_upstream(const std::vector<std::string>& addresses,
                                                      const std::string& remote) {
    if (!started_) {
        return Status(CCDR_STOPPED, "the ccdr plugin is not started on server " + session_.server.server_id);
    }
    return plugin::probe_upstream(dialer_, addresses, remote);
}

Result<RemoteDatabase> CcdrPlugin::describe_remote(const UpstreamLink& link) {
    auto info = probe_upstream(link.addresses, link.remote);
    if (!info) {
        return info.status();
    }
    if (!info->cluster_id.empty() && info->cluster_id == session_.server.cluster_id) {
        // Addresses that are not this cluster's listen addresses (a host name,
        // a proxy) can still lead here: HELLO_OK names the cluster.
        return Status(CCDR_FORBIDDEN, "the upstream server at " + info->address + " is in this cluster ('" +
                                          info->cluster_id + "'): a replica's upstream is a database of another "
                                          "cluster; list the cluster endpoints of the remote cluster's servers");
    }
    if (!info->refusal.empty()) {
        return Status(CCDR_FORBIDDEN, "the upstream server at " + info->address + " refuses to serve '" + link.remote +
                                          "': " + info->refusal);
    }
    if (!info->exists) {
        return Status(CCDR_DATABASE_NOT_FOUND, "no upstream server asked (" + info->address + ") has a database '" +
                                                   link.remote + "'");
    }
    RemoteDatabase out;
    out.address = info->address;
    out.online = info->online;
    out.kind = info->kind;
    out.store_id = info->store_id;
    out.epoch = info->epoch;
    out.last_tx = info->last_tx;
    return out;
}

std::optional<ReplicaStatus> CcdrPlugin::replica_status(const std::string& database) const {
    if (auto member = find_member(database)) {
        return member->status();
    }
    return std::nullopt;
}

}  // namespace ccdr::plugin
