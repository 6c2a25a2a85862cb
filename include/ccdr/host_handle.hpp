// ccdr/host_handle.hpp: the plugin's view of its host. Wraps the host's
// vtable and this instance's ccdr_host_ctx in C++ calls that return Status or
// Result and take lambdas where the ABI takes sinks and visitors.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/span.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr {

// Owning copies of what the host describes.
struct ServerInfo {
    std::string server_id;
    std::string cluster_id;
    std::string bolt_address;
    std::string cluster_address;
    std::string data_directory;
    std::string host_name;
    std::string host_version;
};

struct MemberInfo {
    std::string server_id;
    std::string bolt_address;
    std::string cluster_address;
    ccdr_member_role role = CCDR_ROLE_PRIMARY;
    bool is_writer = false;
    ccdr_database_state state = CCDR_DB_UNKNOWN;
    bool is_local = false;
    uint64_t last_committed_tx = 0;
    int64_t last_commit_time_ms = 0;  // 0 from a host before ABI 1.2 (unknown)
};

struct DatabaseInfo {
    std::string name;
    ccdr_database_kind kind = CCDR_KIND_STANDARD;
    bool requested_online = false;
    uint32_t primaries = 0;
    uint32_t secondaries = 0;
    std::string store_id;
    uint64_t epoch = 0;
    std::vector<MemberInfo> members;
};

struct DatabaseSpec {
    std::string name;
    ccdr_database_kind kind = CCDR_KIND_STANDARD;
    uint32_t primaries = 1;
    uint32_t secondaries = 0;
    std::string store_id;  // empty: the host generates one
    uint64_t epoch = 0;    // 0: the host's initial epoch
    ValueMap options;
};

// A member's content digest at one transaction (ABI 1.1).
struct Fingerprint {
    uint64_t tx_id = 0;
    std::string algorithm;
    std::string fingerprint;
};

// One user of the host's cluster and its roles (ABI 1.2). No password.
struct UserInfo {
    std::string name;
    std::vector<std::string> roles;
};

// One replica subscription served by a server of the cluster (ABI 1.2,
// ccdr_subscription_info).
struct SubscriptionInfo {
    std::string upstream_database;
    std::string upstream_server_id;
    std::string upstream_address;
    std::string replica_cluster_id;
    std::string replica_server_id;
    std::string replica_database;
    std::string remote_address;
    int64_t connected_since_ms = 0;
    uint64_t acknowledged_tx = 0;
    uint64_t upstream_last_tx = 0;
    uint64_t lag_tx = 0;
    double lag_seconds = 0.0;
    uint64_t bytes_sent = 0;
    uint64_t store_copies_served = 0;
    double catch_up_window_seconds = -1.0;  // -1: no log held for this member
};

// A server of the cluster that could not list its subscriptions, and why.
struct ServerFailure {
    std::string server_id;
    ccdr_status status = CCDR_OK;
    std::string message;
};

// What cluster_subscriptions gathered from every server of the cluster.
struct ClusterSubscriptions {
    std::vector<SubscriptionInfo> subscriptions;
    std::vector<ServerFailure> failures;
};

// The C view of `s` (borrowing its strings) and back.
inline ccdr_subscription_info subscription_to_abi(const SubscriptionInfo& s) {
    ccdr_subscription_info i{};
    i.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_subscription_info);
    i.upstream_database = to_abi(s.upstream_database);
    i.upstream_server_id = to_abi(s.upstream_server_id);
    i.upstream_address = to_abi(s.upstream_address);
    i.replica_cluster_id = to_abi(s.replica_cluster_id);
    i.replica_server_id = to_abi(s.replica_server_id);
    i.replica_database = to_abi(s.replica_database);
    i.remote_address = to_abi(s.remote_address);
    i.connected_since_ms = s.connected_since_ms;
    i.acknowledged_tx = s.acknowledged_tx;
    i.upstream_last_tx = s.upstream_last_tx;
    i.lag_tx = s.lag_tx;
    i.lag_seconds = s.lag_seconds;
    i.bytes_sent = s.bytes_sent;
    i.store_copies_served = s.store_copies_served;
    i.catch_up_window_seconds = s.catch_up_window_seconds;
    return i;
}

// Reads only what the filler's struct_size covers (every field is 1.2's).
inline SubscriptionInfo subscription_from_abi(const ccdr_subscription_info& i) {
    SubscriptionInfo s;
    if (!CCDR_HAS_FIELD(&i, ccdr_subscription_info, store_copies_served)) {
        return s;
    }
    s.upstream_database = to_string(i.upstream_database);
    s.upstream_server_id = to_string(i.upstream_server_id);
    s.upstream_address = to_string(i.upstream_address);
    s.replica_cluster_id = to_string(i.replica_cluster_id);
    s.replica_server_id = to_string(i.replica_server_id);
    s.replica_database = to_string(i.replica_database);
    s.remote_address = to_string(i.remote_address);
    s.connected_since_ms = i.connected_since_ms;
    s.acknowledged_tx = i.acknowledged_tx;
    s.upstream_last_tx = i.upstream_last_tx;
    s.lag_tx = i.lag_tx;
    s.lag_seconds = i.lag_seconds;
    s.bytes_sent = i.bytes_sent;
    s.store_copies_served = i.store_copies_served;
    if (CCDR_HAS_FIELD(&i, ccdr_subscription_info, catch_up_window_seconds)) {
        s.catch_up_window_seconds = i.catch_up_window_seconds;
    }
    return s;
}

class HostHandle {
public:
    HostHandle() = default;
    HostHandle(const ccdr_host_api* api, ccdr_host_ctx* ctx) : api_(api), ctx_(ctx) {}

    const ccdr_host_api* api() const { return api_; }
    ccdr_host_ctx* ctx() const { return ctx_; }

    void log(ccdr_log_level level, std::string_view message) const {
        api_->log(ctx_, level, to_abi(message));
    }

    Result<std::string> get_setting(std::string_view key) const {
        std::string out;
        ccdr_string_sink sink{CCDR_HEADER_INIT(ccdr_string_sink), &out,
                              [](void* c, ccdr_string v) { *static_cast<std::string*>(c) = to_string(v); }};
        auto err = make_error();
        ccdr_status st = api_->get_setting(ctx_, to_abi(key), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    Result<ServerInfo> server_info() const {
        ServerInfo out;
        ccdr_server_info_sink sink{CCDR_HEADER_INIT(ccdr_server_info_sink), &out,
                                   [](void* c, const ccdr_server_info* i) {
                                       auto* o = static_cast<ServerInfo*>(c);
                                       o->server_id = to_string(i->server_id);
                                       o->cluster_id = to_string(i->cluster_id);
                                       o->bolt_address = to_string(i->bolt_address);
                                       o->cluster_address = to_string(i->cluster_address);
                                       o->data_directory = to_string(i->data_directory);
                                       o->host_name = to_string(i->host_name);
                                       o->host_version = to_string(i->host_version);
                                   }};
        auto err = make_error();
        ccdr_status st = api_->server_info(ctx_, &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    Status register_procedure(const ccdr_procedure_def& def) const {
        auto err = make_error();
        return Status::from_abi(api_->register_procedure(ctx_, &def, &err), err);
    }

    Result<ccdr_log_info> log_info(std::string_view database) const {
        ccdr_log_info info{};
        info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_log_info);
        auto err = make_error();
        ccdr_status st = api_->log_info(ctx_, to_abi(database), &info, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return info;
    }

    // visit returns CCDR_OK to continue, CCDR_STOPPED to stop early.
    Status read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                    const std::function<ccdr_status(const ccdr_tx&)>& visit) const {
        ccdr_tx_visitor visitor = visitor_of(visit);
        auto err = make_error();
        return Status::from_abi(api_->read_log(ctx_, to_abi(database), from_tx, max_bytes, &visitor, &err), err);
    }

    Status apply_batch(std::string_view database, std::span<const ccdr_tx> txs) const {
        auto err = make_error();
        return Status::from_abi(api_->apply_batch(ctx_, to_abi(database), txs.data(), txs.size(), &err), err);
    }

    Status snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) const {
        auto err = make_error();
        return Status::from_abi(api_->snapshot_export(ctx_, to_abi(database), &sink, &err), err);
    }

    Status snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                           const ccdr_snapshot_source& source) const {
        auto err = make_error();
        return Status::from_abi(api_->snapshot_import(ctx_, to_abi(database), &info, &source, &err), err);
    }

    // The ABI view of `spec`; its options live in `builder`.
    static ccdr_database_spec spec_to_abi(const DatabaseSpec& spec, AbiValueBuilder& builder) {
        ccdr_database_spec s{};
        s.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_database_spec);
        s.name = to_abi(spec.name);
        s.kind = spec.kind;
        s.primaries = spec.primaries;
        s.secondaries = spec.secondaries;
        s.store_id = to_abi(spec.store_id);
        s.epoch = spec.epoch;
        s.options = builder.build_entries(spec.options);
        s.option_count = spec.options.size();
        return s;
    }

    Status create_database(const DatabaseSpec& spec) const {
        AbiValueBuilder builder;
        ccdr_database_spec s = spec_to_abi(spec, builder);
        auto err = make_error();
        return Status::from_abi(api_->create_database(ctx_, &s, &err), err);
    }

    Status drop_database(std::string_view name) const {
        auto err = make_error();
        return Status::from_abi(api_->drop_database(ctx_, to_abi(name), &err), err);
    }

    Status set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) const {
        auto err = make_error();
        return Status::from_abi(api_->set_database_kind(ctx_, to_abi(name), kind, epoch, &err), err);
    }

    Status set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) const {
        auto err = make_error();
        return Status::from_abi(api_->set_topology(ctx_, to_abi(name), primaries, secondaries, &err), err);
    }

    Result<DatabaseInfo> database_info(std::string_view name) const {
        DatabaseInfo out;
        ccdr_database_info_sink sink{CCDR_HEADER_INIT(ccdr_database_info_sink), &out,
                                     [](void* c, const ccdr_database_info* i) { *static_cast<DatabaseInfo*>(c) = copy(*i); }};
        auto err = make_error();
        ccdr_status st = api_->database_info(ctx_, to_abi(name), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    Status set_database_option(std::string_view name, std::string_view key, const Value* value) const {
        auto err = make_error();
        if (value == nullptr) {
            return Status::from_abi(api_->set_database_option(ctx_, to_abi(name), to_abi(key), nullptr, &err), err);
        }
        AbiValueBuilder builder;
        ccdr_value v = builder.build(*value);
        return Status::from_abi(api_->set_database_option(ctx_, to_abi(name), to_abi(key), &v, &err), err);
    }

    // The option's value, or a null Value when unset.
    Result<Value> get_database_option(std::string_view name, std::string_view key) const {
        Value out;
        ccdr_value_sink sink{CCDR_HEADER_INIT(ccdr_value_sink), &out,
                             [](void* c, const ccdr_value* v) {
                                 *static_cast<Value*>(c) = v == nullptr ? Value() : Value::from_abi(*v);
                             }};
        auto err = make_error();
        ccdr_status st = api_->get_database_option(ctx_, to_abi(name), to_abi(key), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    // True when the host's vtable has content_fingerprint (ABI 1.1 or later).
    bool has_content_fingerprint() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, content_fingerprint) && api_->content_fingerprint != nullptr;
    }

    // CCDR_UNSUPPORTED, without calling, when the host predates ABI 1.1.
    Result<Fingerprint> content_fingerprint(std::string_view database, std::string_view server_id) const {
        if (!has_content_fingerprint()) {
            return Status(CCDR_UNSUPPORTED, "the host provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                "; content fingerprints need 1.1 or later");
        }
        Fingerprint out;
        ccdr_fingerprint_sink sink{CCDR_HEADER_INIT(ccdr_fingerprint_sink), &out,
                                   [](void* c, const ccdr_fingerprint* f) {
                                       auto* o = static_cast<Fingerprint*>(c);
                                       o->tx_id = f->tx_id;
                                       o->algorithm = to_string(f->algorithm);
                                       o->fingerprint = to_string(f->fingerprint);
                                   }};
        auto err = make_error();
        ccdr_status st = api_->content_fingerprint(ctx_, to_abi(database), to_abi(server_id), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    // --- ABI 1.2, users and roles ---
    // True when the host's vtable has list_users (ABI 1.2 or later).
    bool has_list_users() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, list_users) && api_->list_users != nullptr;
    }

    // Every user of the host's cluster with its roles, by name.
    // CCDR_UNSUPPORTED, without calling, when the host predates ABI 1.2.
    Result<std::vector<UserInfo>> list_users() const {
        if (!has_list_users()) {
            return Status(CCDR_UNSUPPORTED, "the host provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                "; listing users and roles needs 1.2 or later");
        }
        std::vector<UserInfo> out;
        ccdr_user_sink sink{CCDR_HEADER_INIT(ccdr_user_sink), &out,
                            [](void* c, const ccdr_user_info* u) -> ccdr_status {
                                UserInfo info{to_string(u->name), {}};
                                for (size_t i = 0; i < u->role_count; ++i) {
                                    info.roles.push_back(to_string(u->roles[i]));
                                }
                                static_cast<std::vector<UserInfo>*>(c)->push_back(std::move(info));
                                return CCDR_OK;
                            }};
        auto err = make_error();
        ccdr_status st = api_->list_users(ctx_, &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    // --- ABI 1.2, promotion with a topology ---
    // True when the host's vtable has promote_with_topology (ABI 1.2 or later).
    bool has_promote_with_topology() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, promote_with_topology) && api_->promote_with_topology != nullptr;
    }

    // Promotion and topology change as one step (nothing changes on failure).
    // CCDR_UNSUPPORTED, without calling, when the host predates ABI 1.2.
    Status promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                 uint32_t secondaries) const {
        if (!has_promote_with_topology()) {
            return Status(CCDR_UNSUPPORTED, "the host provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                "; promotion with a topology in one step needs 1.2 or later");
        }
        auto err = make_error();
        return Status::from_abi(api_->promote_with_topology(ctx_, to_abi(name), epoch, primaries, secondaries, &err),
                                err);
    }

    // --- ABI 1.2, replica subscriptions ---
    // True when the host's vtable has cluster_subscriptions (ABI 1.2 or
    // later, from a host that implements it).
    bool has_cluster_subscriptions() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, cluster_subscriptions) && api_->cluster_subscriptions != nullptr;
    }

    // The replica subscriptions every server of the cluster serves (of
    // `database`; empty: all), and the servers that could not answer.
    // CCDR_UNSUPPORTED, without calling, when the host lacks the function.
    Result<ClusterSubscriptions> cluster_subscriptions(std::string_view database) const {
        if (!has_cluster_subscriptions()) {
            return Status(CCDR_UNSUPPORTED, "the host provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
                                                std::to_string(api_->hdr.minor) +
                                                (CCDR_HAS_FIELD(api_, ccdr_host_api, list_users)
                                                     ? " without cluster_subscriptions"
                                                     : "") +
                                                "; listing the replica subscriptions of the cluster needs 1.2 "
                                                "with cluster_subscriptions");
        }
        ClusterSubscriptions out;
        ccdr_subscription_sink sink{
            CCDR_HEADER_INIT(ccdr_subscription_sink), &out,
            [](void* c, const ccdr_subscription_info* i) -> ccdr_status {
                static_cast<ClusterSubscriptions*>(c)->subscriptions.push_back(subscription_from_abi(*i));
                return CCDR_OK;
            },
            [](void* c, ccdr_string server_id, ccdr_status status, ccdr_string message) -> ccdr_status {
                static_cast<ClusterSubscriptions*>(c)->failures.push_back(
                    ServerFailure{to_string(server_id), status, to_string(message)});
                return CCDR_OK;
            }};
        auto err = make_error();
        ccdr_status st = api_->cluster_subscriptions(ctx_, to_abi(database), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    // --- ABI 1.2, switching regions ---
    bool has_set_database_access() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, set_database_access) && api_->set_database_access != nullptr;
    }
    bool has_make_replica() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, make_replica) && api_->make_replica != nullptr;
    }

    // Fences (read_only) or unfences a standard database on every member.
    // With read_only, returns the last committed tx at the fence (no user
    // write commits after it). CCDR_UNSUPPORTED, without calling, when the
    // host lacks the function.
    Result<uint64_t> set_database_access(std::string_view name, bool read_only, std::string_view reason) const {
        if (!has_set_database_access()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("set_database_access",
                                                             "fencing a database (read-only access)"));
        }
        uint64_t last_tx = 0;
        auto err = make_error();
        ccdr_status st = api_->set_database_access(ctx_, to_abi(name), read_only ? 1u : 0u, to_abi(reason),
                                                   &last_tx, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return last_tx;
    }

    // One transaction make_replica undoes (copied out of the host's view).
    struct UndoneTx {
        uint64_t tx_id = 0;
        int64_t commit_time_ms = 0;
        std::string changes;  // the host's JSON rendering
    };
    using UndoneVisitor = std::function<Status(const UndoneTx&)>;

    // Turns a standard database into a replica of `epoch` continuing at
    // to_tx + 1 (members ahead of to_tx are reverted; `undone` hears each
    // undone transaction first). Nothing changes on failure.
    // CCDR_UNSUPPORTED, without calling, when the host lacks the function.
    Status make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ValueMap& options,
                        const UndoneVisitor& undone) const {
        if (!has_make_replica()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("make_replica",
                                                             "turning a standard database into a replica"));
        }
        struct Ctx {
            const UndoneVisitor* visit;
            Status failure;
        } ctx{&undone, {}};
        ccdr_undone_sink sink{CCDR_HEADER_INIT(ccdr_undone_sink), &ctx,
                              [](void* c, const ccdr_undone_tx* t) -> ccdr_status {
                                  auto* x = static_cast<Ctx*>(c);
                                  if (!*x->visit) {
                                      x->failure = Status(CCDR_INTERNAL, "a transaction would be undone");
                                      return x->failure.code();
                                  }
                                  try {
                                      x->failure = (*x->visit)(UndoneTx{t->tx_id, t->commit_time_ms,
                                                                        to_string(t->changes)});
                                  } catch (const std::exception& e) {
                                      x->failure = Status(CCDR_INTERNAL, e.what());
                                  }
                                  return x->failure.code();
                              }};
        AbiValueBuilder builder;
        const ccdr_map_entry* entries = builder.build_entries(options);
        auto err = make_error();
        ccdr_status st = api_->make_replica(ctx_, to_abi(name), epoch, to_tx, entries, options.size(), &sink, &err);
        if (st != CCDR_OK && !ctx.failure) {
            return ctx.failure;
        }
        return Status::from_abi(st, err);
    }

    // --- ABI 1.2, DR drills ---
    bool has_copy_database() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, copy_database) && api_->copy_database != nullptr;
    }

    // Creates the standard database `spec` with every member a copy of the
    // member of `source` on `source_server_id` ("" = this server's), taken
    // inside this cluster. Returns the transaction the copy holds.
    // CCDR_UNSUPPORTED, without calling, when the host lacks the function.
    Result<uint64_t> copy_database(std::string_view source, std::string_view source_server_id,
                                   const DatabaseSpec& spec) const {
        if (!has_copy_database()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("copy_database", "copying a database inside the cluster"));
        }
        AbiValueBuilder builder;
        ccdr_database_spec s = spec_to_abi(spec, builder);
        uint64_t copied = 0;
        auto err = make_error();
        ccdr_status st = api_->copy_database(ctx_, to_abi(source), to_abi(source_server_id), &s, &copied, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return copied;
    }

    static DatabaseInfo copy(const ccdr_database_info& i) {
        DatabaseInfo o;
        o.name = to_string(i.name);
        o.kind = static_cast<ccdr_database_kind>(i.kind);
        o.requested_online = i.requested_online != 0;
        o.primaries = i.primaries;
        o.secondaries = i.secondaries;
        o.store_id = to_string(i.store_id);
        o.epoch = i.epoch;
        for (size_t k = 0; k < i.member_count; ++k) {
            const ccdr_member_info& m = i.members[k];
            o.members.push_back(MemberInfo{to_string(m.server_id), to_string(m.bolt_address),
                                           to_string(m.cluster_address), static_cast<ccdr_member_role>(m.role),
                                           m.is_writer != 0, static_cast<ccdr_database_state>(m.state),
                                           m.is_local != 0, m.last_committed_tx,
                                           CCDR_HAS_FIELD(&m, ccdr_member_info, last_commit_time_ms)
                                               ? m.last_commit_time_ms
                                               : 0});
        }
        return o;
    }

    // --- ABI 1.2, continuous verification ---
    bool has_running_fingerprint() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, running_fingerprint) && api_->running_fingerprint != nullptr;
    }
    // The running fingerprint of a member (server_id empty: this server's)
    // as of tx_id, or now when tx_id is 0 (see ccdr_host_api.running_fingerprint).
    // CCDR_UNSUPPORTED, without calling, when the host lacks the function.
    Result<Fingerprint> running_fingerprint(std::string_view database, std::string_view server_id,
                                            uint64_t tx_id) const {
        if (!has_running_fingerprint()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("running_fingerprint", "continuous verification"));
        }
        Fingerprint out;
        ccdr_fingerprint_sink sink{CCDR_HEADER_INIT(ccdr_fingerprint_sink), &out,
                                   [](void* c, const ccdr_fingerprint* f) {
                                       auto* o = static_cast<Fingerprint*>(c);
                                       o->tx_id = f->tx_id;
                                       o->algorithm = to_string(f->algorithm);
                                       o->fingerprint = to_string(f->fingerprint);
                                   }};
        auto err = make_error();
        ccdr_status st =
            api_->running_fingerprint(ctx_, to_abi(database), to_abi(server_id), tx_id, &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return out;
    }

    // --- ABI 1.2, store copy through files ---
    bool has_snapshot_files() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, snapshot_export_file) && api_->snapshot_export_file != nullptr &&
               CCDR_HAS_FIELD(api_, ccdr_host_api, snapshot_import_file) && api_->snapshot_import_file != nullptr;
    }
    // A consistent copy of this server's member of `database` written into
    // the new file `path` (see ccdr_host_api.snapshot_export_file).
    // CCDR_UNSUPPORTED, without calling, when the host lacks the function.
    Result<ccdr_snapshot_info> snapshot_export_file(std::string_view database, std::string_view path) const {
        if (!has_snapshot_files()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("snapshot_export_file", "a store copy through files"));
        }
        ccdr_snapshot_info info{};
        info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_snapshot_info);
        auto err = make_error();
        ccdr_status st = api_->snapshot_export_file(ctx_, to_abi(database), to_abi(path), &info, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        return info;
    }
    // The member's store replaced by the verified snapshot file `path`,
    // which the host may adopt by rename (see
    // ccdr_host_api.snapshot_import_file). CCDR_UNSUPPORTED, without
    // calling, when the host lacks the function.
    Status snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                std::string_view path) const {
        if (!has_snapshot_files()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("snapshot_import_file", "a store copy through files"));
        }
        auto err = make_error();
        return Status::from_abi(api_->snapshot_import_file(ctx_, to_abi(database), &info, to_abi(path), &err), err);
    }

    // --- ABI 1.2, one transaction applied in parts ---
    bool has_apply_tx_parts() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, apply_tx_abort) && api_->apply_tx_begin != nullptr &&
               api_->apply_tx_part != nullptr && api_->apply_tx_commit != nullptr && api_->apply_tx_abort != nullptr;
    }
    // Starts applying transaction tx_id in parts (see
    // ccdr_host_api.apply_tx_begin). The handle must end in
    // apply_tx_commit or apply_tx_abort. CCDR_UNSUPPORTED, without
    // calling, when the host lacks the functions.
    Result<ccdr_apply_tx*> apply_tx_begin(std::string_view database, uint64_t tx_id, int64_t commit_time_ms,
                                          uint64_t total_bytes) const {
        if (!has_apply_tx_parts()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("apply_tx_begin", "applying a transaction in parts"));
        }
        auto err = make_error();
        ccdr_apply_tx* tx = nullptr;
        ccdr_status st =
            api_->apply_tx_begin(ctx_, to_abi(database), tx_id, commit_time_ms, total_bytes, &tx, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        if (tx == nullptr) {
            return Status(CCDR_INTERNAL, "apply_tx_begin returned OK without a handle");
        }
        return tx;
    }
    Status apply_tx_part(ccdr_apply_tx* tx, std::span<const uint8_t> part) const {
        auto err = make_error();
        return Status::from_abi(api_->apply_tx_part(ctx_, tx, ccdr_bytes{part.data(), part.size()}, &err), err);
    }
    // Frees the handle whatever it returns.
    Status apply_tx_commit(ccdr_apply_tx* tx) const {
        auto err = make_error();
        return Status::from_abi(api_->apply_tx_commit(ctx_, tx, &err), err);
    }
    void apply_tx_abort(ccdr_apply_tx* tx) const { api_->apply_tx_abort(ctx_, tx); }

    // --- ABI 1.2, one logged transaction read in pieces ---
    bool has_log_tx_reads() const {
        return CCDR_HAS_FIELD(api_, ccdr_host_api, log_tx_close) && api_->read_log_bounded != nullptr &&
               api_->log_tx_open != nullptr && api_->log_tx_read != nullptr && api_->log_tx_close != nullptr;
    }
    // read_log, with a transaction longer than tx_max_bytes visited without
    // its payload (data null, len its length; see
    // ccdr_host_api.read_log_bounded). CCDR_UNSUPPORTED, without calling,
    // when the host lacks the functions.
    Status read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes, uint64_t tx_max_bytes,
                            const std::function<ccdr_status(const ccdr_tx&)>& visit) const {
        if (!has_log_tx_reads()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("read_log_bounded", "reading a transaction in pieces"));
        }
        ccdr_tx_visitor visitor = visitor_of(visit);
        auto err = make_error();
        return Status::from_abi(
            api_->read_log_bounded(ctx_, to_abi(database), from_tx, max_bytes, tx_max_bytes, &visitor, &err), err);
    }
    // Opens transaction tx_id's payload for reading in order; the handle must
    // end in log_tx_close. CCDR_UNSUPPORTED, without calling, when the host
    // lacks the functions.
    struct OpenedLogTx {
        ccdr_log_tx* tx = nullptr;
        uint64_t length = 0;
    };
    Result<OpenedLogTx> log_tx_open(std::string_view database, uint64_t tx_id) const {
        if (!has_log_tx_reads()) {
            return Status(CCDR_UNSUPPORTED, unsupported_text("log_tx_open", "reading a transaction in pieces"));
        }
        auto err = make_error();
        OpenedLogTx out;
        ccdr_status st = api_->log_tx_open(ctx_, to_abi(database), tx_id, &out.length, &out.tx, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        if (out.tx == nullptr) {
            return Status(CCDR_INTERNAL, "log_tx_open returned OK without a handle");
        }
        return out;
    }
    // The next bytes of the payload into `into`; 0 once all were read.
    Result<size_t> log_tx_read(ccdr_log_tx* tx, std::span<uint8_t> into) const {
        auto err = make_error();
        size_t read = 0;
        ccdr_status st = api_->log_tx_read(ctx_, tx, into.data(), into.size(), &read, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        if (read > into.size()) {
            return Status(CCDR_INTERNAL, "log_tx_read reported more bytes than the buffer holds");
        }
        return read;
    }
    void log_tx_close(ccdr_log_tx* tx) const { api_->log_tx_close(ctx_, tx); }

private:
    // A visitor calling `visit`, which must outlive it.
    static ccdr_tx_visitor visitor_of(const std::function<ccdr_status(const ccdr_tx&)>& visit) {
        return ccdr_tx_visitor{CCDR_HEADER_INIT(ccdr_tx_visitor), const_cast<void*>(static_cast<const void*>(&visit)),
                               [](void* c, const ccdr_tx* tx) {
                                   auto* f = static_cast<const std::function<ccdr_status(const ccdr_tx&)>*>(c);
                                   try {
                                       return (*f)(*tx);
                                   } catch (...) {
                                       return CCDR_INTERNAL;
                                   }
                               }};
    }
    std::string unsupported_text(std::string_view function, std::string_view what) const {
        return "the host provides ccdr ABI " + std::to_string(api_->hdr.major) + "." +
               std::to_string(api_->hdr.minor) + (api_->hdr.minor >= 2 ? " without " + std::string(function) : "") +
               "; " + std::string(what) + " needs 1.2 with " + std::string(function);
    }

    const ccdr_host_api* api_ = nullptr;
    ccdr_host_ctx* ctx_ = nullptr;
};

}  // namespace ccdr
