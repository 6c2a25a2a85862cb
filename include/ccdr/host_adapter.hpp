// ccdr/host_adapter.hpp: builds a host's ccdr_host_api vtable from C++.
//
// A host implements HostServer once per logical server and passes
// server.ctx() to the plugin's create(). host_api() returns one static vtable
// of thunks that turn the ctx back into the HostServer, convert views to C++
// and results back to sinks, and stop every exception at the C boundary.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/host_handle.hpp>
#include <ccdr/span.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr {

class HostServer {
public:
    virtual ~HostServer() = default;

    virtual void log(ccdr_log_level level, std::string_view message) = 0;
    virtual Result<std::string> get_setting(std::string_view key) = 0;
    virtual Result<ServerInfo> server_info() = 0;
    // The host copies what it keeps of `def` (strings, fields).
    virtual Status register_procedure(const ccdr_procedure_def& def) = 0;
    virtual Result<ccdr_log_info> log_info(std::string_view database) = 0;
    virtual Status read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                            const ccdr_tx_visitor& visitor) = 0;
    virtual Status apply_batch(std::string_view database, std::span<const ccdr_tx> txs) = 0;
    virtual Status snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) = 0;
    virtual Status snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                                   const ccdr_snapshot_source& source) = 0;
    virtual Status create_database(const DatabaseSpec& spec) = 0;
    virtual Status drop_database(std::string_view name) = 0;
    virtual Status set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) = 0;
    virtual Status set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) = 0;
    virtual Result<DatabaseInfo> database_info(std::string_view name) = 0;
    virtual Status set_database_option(std::string_view name, std::string_view key, const Value* value) = 0;
    virtual Result<Value> get_database_option(std::string_view name, std::string_view key) = 0;
    // ABI 1.1. `server_id` empty: this server's member. A host that cannot
    // fingerprint keeps this default.
    virtual Result<Fingerprint> content_fingerprint(std::string_view database, std::string_view server_id) {
        (void)database;
        (void)server_id;
        return Status(CCDR_UNSUPPORTED, "this host does not compute content fingerprints");
    }
    // ABI 1.2: every user of the cluster with its roles, by name. A host
    // without users keeps this default.
    virtual Result<std::vector<UserInfo>> list_users() {
        return Status(CCDR_UNSUPPORTED, "this host does not list users");
    }
    // ABI 1.2: promotion with a new topology as one step; on failure the
    // replica is left as it was. A host that cannot keeps this default (the
    // plugin then resizes and promotes in two calls).
    virtual Status promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                         uint32_t secondaries) {
        (void)name;
        (void)epoch;
        (void)primaries;
        (void)secondaries;
        return Status(CCDR_UNSUPPORTED, "this host does not promote with a topology in one step");
    }
    // ABI 1.2: the replica subscriptions of every server of the cluster,
    // through `out` (the rows of each server's plugin instance passed on
    // unchanged; out.server_failed for a server that cannot answer). A host
    // that cannot reach its servers' plugin instances keeps this default.
    virtual Status cluster_subscriptions(std::string_view database, const ccdr_subscription_sink& out) {
        (void)database;
        (void)out;
        return Status(CCDR_UNSUPPORTED, "this host does not list the replica subscriptions of its cluster");
    }

    // ABI 1.2: fence (read_only) or unfence a standard database on every
    // member, durably; with read_only, the last committed tx at the fence.
    virtual Result<uint64_t> set_database_access(std::string_view name, bool read_only, std::string_view reason) {
        (void)name;
        (void)read_only;
        (void)reason;
        return Status(CCDR_UNSUPPORTED, "this host cannot fence a database");
    }
    // ABI 1.2: a standard database becomes a replica of `epoch` continuing
    // at to_tx + 1 (see ccdr_host_api.make_replica); `undone` (may be null
    // when nothing is undone) hears every transaction undone, before any
    // change.
    virtual Status make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ValueMap& options,
                                const ccdr_undone_sink* undone) {
        (void)name;
        (void)epoch;
        (void)to_tx;
        (void)options;
        (void)undone;
        return Status(CCDR_UNSUPPORTED, "this host cannot turn a standard database into a replica");
    }
    // ABI 1.2: creates the standard database `spec` with every member a copy
    // of the member of `source` on `source_server_id` ("" = this server's);
    // returns the transaction the copy holds (see ccdr_host_api.copy_database).
    virtual Result<uint64_t> copy_database(std::string_view source, std::string_view source_server_id,
                                           const DatabaseSpec& spec) {
        (void)source;
        (void)source_server_id;
        (void)spec;
        return Status(CCDR_UNSUPPORTED, "this host cannot copy a database");
    }
    // ABI 1.2: the running fingerprint of a member as of tx_id (0: now);
    // see ccdr_host_api.running_fingerprint. A host that keeps none keeps
    // this default.
    virtual Result<Fingerprint> running_fingerprint(std::string_view database, std::string_view server_id,
                                                    uint64_t tx_id) {
        (void)database;
        (void)server_id;
        (void)tx_id;
        return Status(CCDR_UNSUPPORTED, "this host keeps no running fingerprint");
    }

    // ABI 1.2: a consistent copy of this server's member written into a new
    // file at `path` (see ccdr_host_api.snapshot_export_file); no file is
    // left there on failure. A host that cannot keeps this default (the
    // plugin then streams through snapshot_export).
    virtual Result<ccdr_snapshot_info> snapshot_export_file(std::string_view database, std::string_view path) {
        (void)database;
        (void)path;
        return Status(CCDR_UNSUPPORTED, "this host does not export snapshots into files");
    }
    // ABI 1.2: the member's store replaced by the snapshot file at `path`,
    // which the host may adopt by rename; on failure the file is left
    // unchanged or gone, never changed in place (see
    // ccdr_host_api.snapshot_import_file). A host that cannot keeps this
    // default (the plugin then streams through snapshot_import).
    virtual Status snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                        std::string_view path) {
        (void)database;
        (void)info;
        (void)path;
        return Status(CCDR_UNSUPPORTED, "this host does not import snapshot files");
    }

    // ABI 1.2: one replicated transaction applied in parts (see
    // ccdr_host_api.apply_tx_begin). Destroying it before an OK commit()
    // rolls back everything applied through it.
    class TxInParts {
    public:
        virtual ~TxInParts() = default;
        virtual Status part(std::span<const uint8_t> bytes) = 0;
        virtual Status commit() = 0;
    };
    // A host that cannot keeps this default (the plugin then applies the
    // whole transaction with apply_batch).
    virtual Result<std::unique_ptr<TxInParts>> apply_tx_begin(std::string_view database, uint64_t tx_id,
                                                              int64_t commit_time_ms, uint64_t total_bytes) {
        (void)database;
        (void)tx_id;
        (void)commit_time_ms;
        (void)total_bytes;
        return Status(CCDR_UNSUPPORTED, "this host does not apply transactions in parts");
    }

    // ABI 1.2: read_log, with a transaction whose payload is longer than
    // tx_max_bytes visited without it (payload.data NULL, payload.len its
    // length; see ccdr_host_api.read_log_bounded), and such a transaction's
    // payload read in pieces (LoggedTx). A host that cannot keeps these
    // defaults (the plugin then reads whole transactions with read_log).
    virtual Status read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                    uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor) {
        (void)database;
        (void)from_tx;
        (void)max_bytes;
        (void)tx_max_bytes;
        (void)visitor;
        return Status(CCDR_UNSUPPORTED, "this host does not read its log in pieces");
    }
    // One logged transaction's payload, read in order (ccdr_host_api.log_tx_read):
    // read() fills `into` with the next bytes (0 at the end) and checks the
    // whole payload when it delivers the last ones.
    class LoggedTx {
    public:
        virtual ~LoggedTx() = default;
        virtual uint64_t length() const = 0;
        virtual Result<size_t> read(std::span<uint8_t> into) = 0;
    };
    virtual Result<std::unique_ptr<LoggedTx>> log_tx_open(std::string_view database, uint64_t tx_id) {
        (void)database;
        (void)tx_id;
        return Status(CCDR_UNSUPPORTED, "this host does not read its log in pieces");
    }

    ccdr_host_ctx* ctx() { return reinterpret_cast<ccdr_host_ctx*>(this); }
    static HostServer* from_ctx(ccdr_host_ctx* ctx) { return reinterpret_cast<HostServer*>(ctx); }
};

namespace detail {

inline ccdr_status host_exception_status(ccdr_error* err) {
    try {
        throw;
    } catch (const std::exception& e) {
        return Status(CCDR_INTERNAL, std::string("unexpected exception in host: ") + e.what()).fill(err);
    } catch (...) {
        return Status(CCDR_INTERNAL, "unexpected exception in host").fill(err);
    }
}

struct HostThunks {
    static HostServer* s(ccdr_host_ctx* c) { return HostServer::from_ctx(c); }

    static void log(ccdr_host_ctx* c, uint32_t level, ccdr_string msg) {
        try {
            s(c)->log(static_cast<ccdr_log_level>(level), to_view(msg));
        } catch (...) {
        }
    }
    static ccdr_status get_setting(ccdr_host_ctx* c, ccdr_string key, const ccdr_string_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->get_setting(to_view(key));
            if (!r) {
                return r.status().fill(err);
            }
            out->set(out->ctx, to_abi(*r));
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status server_info(ccdr_host_ctx* c, const ccdr_server_info_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->server_info();
            if (!r) {
                return r.status().fill(err);
            }
            ccdr_server_info i{};
            i.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_server_info);
            i.server_id = to_abi(r->server_id);
            i.cluster_id = to_abi(r->cluster_id);
            i.bolt_address = to_abi(r->bolt_address);
            i.cluster_address = to_abi(r->cluster_address);
            i.data_directory = to_abi(r->data_directory);
            i.host_name = to_abi(r->host_name);
            i.host_version = to_abi(r->host_version);
            out->set(out->ctx, &i);
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status register_procedure(ccdr_host_ctx* c, const ccdr_procedure_def* def, ccdr_error* err) {
        try {
            if (def == nullptr || def->fn == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "register_procedure: no definition or no function").fill(err);
            }
            return s(c)->register_procedure(*def).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status log_info(ccdr_host_ctx* c, ccdr_string db, ccdr_log_info* out, ccdr_error* err) {
        try {
            auto r = s(c)->log_info(to_view(db));
            if (!r) {
                return r.status().fill(err);
            }
            ccdr_header keep = out->hdr;
            size_t n = std::min<size_t>(keep.struct_size, sizeof(ccdr_log_info));
            ccdr_log_info v = *r;
            std::memcpy(out, &v, n);
            out->hdr = keep;
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status read_log(ccdr_host_ctx* c, ccdr_string db, uint64_t from, uint64_t max_bytes,
                                const ccdr_tx_visitor* v, ccdr_error* err) {
        try {
            return s(c)->read_log(to_view(db), from, max_bytes, *v).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status apply_batch(ccdr_host_ctx* c, ccdr_string db, const ccdr_tx* txs, size_t n, ccdr_error* err) {
        try {
            return s(c)->apply_batch(to_view(db), std::span<const ccdr_tx>(txs, n)).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status snapshot_export(ccdr_host_ctx* c, ccdr_string db, const ccdr_snapshot_sink* sink,
                                       ccdr_error* err) {
        try {
            return s(c)->snapshot_export(to_view(db), *sink).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status snapshot_import(ccdr_host_ctx* c, ccdr_string db, const ccdr_snapshot_info* info,
                                       const ccdr_snapshot_source* src, ccdr_error* err) {
        try {
            return s(c)->snapshot_import(to_view(db), *info, *src).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static DatabaseSpec spec_from_abi(const ccdr_database_spec& spec) {
        DatabaseSpec d;
        d.name = to_string(spec.name);
        d.kind = static_cast<ccdr_database_kind>(spec.kind);
        d.primaries = spec.primaries;
        d.secondaries = spec.secondaries;
        d.store_id = to_string(spec.store_id);
        d.epoch = spec.epoch;
        for (size_t i = 0; i < spec.option_count; ++i) {
            d.options.emplace_back(to_string(spec.options[i].key), Value::from_abi(spec.options[i].value));
        }
        return d;
    }
    static ccdr_status create_database(ccdr_host_ctx* c, const ccdr_database_spec* spec, ccdr_error* err) {
        try {
            return s(c)->create_database(spec_from_abi(*spec)).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status drop_database(ccdr_host_ctx* c, ccdr_string name, ccdr_error* err) {
        try {
            return s(c)->drop_database(to_view(name)).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status set_database_kind(ccdr_host_ctx* c, ccdr_string name, uint32_t kind, uint64_t epoch,
                                         ccdr_error* err) {
        try {
            return s(c)->set_database_kind(to_view(name), static_cast<ccdr_database_kind>(kind), epoch).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status set_topology(ccdr_host_ctx* c, ccdr_string name, uint32_t p, uint32_t sec, ccdr_error* err) {
        try {
            return s(c)->set_topology(to_view(name), p, sec).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status database_info(ccdr_host_ctx* c, ccdr_string name, const ccdr_database_info_sink* out,
                                     ccdr_error* err) {
        try {
            auto r = s(c)->database_info(to_view(name));
            if (!r) {
                return r.status().fill(err);
            }
            std::vector<ccdr_member_info> members;
            for (const auto& m : r->members) {
                ccdr_member_info mi{};
                mi.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_member_info);
                mi.server_id = to_abi(m.server_id);
                mi.bolt_address = to_abi(m.bolt_address);
                mi.cluster_address = to_abi(m.cluster_address);
                mi.role = m.role;
                mi.is_writer = m.is_writer ? 1 : 0;
                mi.state = m.state;
                mi.is_local = m.is_local ? 1 : 0;
                mi.last_committed_tx = m.last_committed_tx;
                mi.last_commit_time_ms = m.last_commit_time_ms;
                members.push_back(mi);
            }
            ccdr_database_info i{};
            i.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_database_info);
            i.name = to_abi(r->name);
            i.kind = r->kind;
            i.requested_online = r->requested_online ? 1 : 0;
            i.primaries = r->primaries;
            i.secondaries = r->secondaries;
            i.store_id = to_abi(r->store_id);
            i.epoch = r->epoch;
            i.members = members.data();
            i.member_count = members.size();
            out->set(out->ctx, &i);
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status set_database_option(ccdr_host_ctx* c, ccdr_string name, ccdr_string key,
                                           const ccdr_value* value, ccdr_error* err) {
        try {
            if (value == nullptr) {
                return s(c)->set_database_option(to_view(name), to_view(key), nullptr).fill(err);
            }
            Value v = Value::from_abi(*value);
            return s(c)->set_database_option(to_view(name), to_view(key), &v).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status get_database_option(ccdr_host_ctx* c, ccdr_string name, ccdr_string key,
                                           const ccdr_value_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->get_database_option(to_view(name), to_view(key));
            if (!r) {
                return r.status().fill(err);
            }
            AbiValueBuilder builder;
            ccdr_value v = builder.build(*r);
            out->set(out->ctx, &v);
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status content_fingerprint(ccdr_host_ctx* c, ccdr_string database, ccdr_string server_id,
                                           const ccdr_fingerprint_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->content_fingerprint(to_view(database), to_view(server_id));
            if (!r) {
                return r.status().fill(err);
            }
            ccdr_fingerprint f{};
            f.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_fingerprint);
            f.tx_id = r->tx_id;
            f.algorithm = to_abi(r->algorithm);
            f.fingerprint = to_abi(r->fingerprint);
            out->set(out->ctx, &f);
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status promote_with_topology(ccdr_host_ctx* c, ccdr_string name, uint64_t epoch, uint32_t p,
                                             uint32_t sec, ccdr_error* err) {
        try {
            return s(c)->promote_with_topology(to_view(name), epoch, p, sec).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status list_users(ccdr_host_ctx* c, const ccdr_user_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->list_users();
            if (!r) {
                return r.status().fill(err);
            }
            for (const auto& u : *r) {
                std::vector<ccdr_string> roles;
                for (const auto& role : u.roles) {
                    roles.push_back(to_abi(role));
                }
                ccdr_user_info info{};
                info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_user_info);
                info.name = to_abi(u.name);
                info.roles = roles.data();
                info.role_count = roles.size();
                ccdr_status st = out->user(out->ctx, &info);
                if (st != CCDR_OK) {
                    return Status(st, "the plugin stopped the listing of users").fill(err);
                }
            }
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status cluster_subscriptions(ccdr_host_ctx* c, ccdr_string database,
                                             const ccdr_subscription_sink* out, ccdr_error* err) {
        try {
            if (out == nullptr) {
                return Status(CCDR_INVALID_ARGUMENT, "cluster_subscriptions: null sink").fill(err);
            }
            return s(c)->cluster_subscriptions(to_view(database), *out).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status set_database_access(ccdr_host_ctx* c, ccdr_string name, uint32_t read_only,
                                           ccdr_string reason, uint64_t* last_tx, ccdr_error* err) {
        try {
            auto r = s(c)->set_database_access(to_view(name), read_only != 0, to_view(reason));
            if (!r) {
                return r.status().fill(err);
            }
            if (last_tx != nullptr) {
                *last_tx = *r;
            }
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status make_replica(ccdr_host_ctx* c, ccdr_string name, uint64_t epoch, uint64_t to_tx,
                                    const ccdr_map_entry* options, size_t option_count,
                                    const ccdr_undone_sink* undone, ccdr_error* err) {
        try {
            ValueMap o;
            for (size_t i = 0; i < option_count; ++i) {
                o.emplace_back(to_string(options[i].key), Value::from_abi(options[i].value));
            }
            return s(c)->make_replica(to_view(name), epoch, to_tx, o, undone).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status copy_database(ccdr_host_ctx* c, ccdr_string source, ccdr_string source_server_id,
                                     const ccdr_database_spec* spec, uint64_t* copied_tx, ccdr_error* err) {
        try {
            auto copied = s(c)->copy_database(to_view(source), to_view(source_server_id), spec_from_abi(*spec));
            if (!copied) {
                return copied.status().fill(err);
            }
            if (copied_tx != nullptr) {
                *copied_tx = *copied;
            }
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status running_fingerprint(ccdr_host_ctx* c, ccdr_string database, ccdr_string server_id,
                                           uint64_t tx_id, const ccdr_fingerprint_sink* out, ccdr_error* err) {
        try {
            auto r = s(c)->running_fingerprint(to_view(database), to_view(server_id), tx_id);
            if (!r) {
                return r.status().fill(err);
            }
            ccdr_fingerprint f{};
            f.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_fingerprint);
            f.tx_id = r->tx_id;
            f.algorithm = to_abi(r->algorithm);
            f.fingerprint = to_abi(r->fingerprint);
            out->set(out->ctx, &f);
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status snapshot_export_file(ccdr_host_ctx* c, ccdr_string database, ccdr_string path,
                                            ccdr_snapshot_info* info, ccdr_error* err) {
        try {
            auto r = s(c)->snapshot_export_file(to_view(database), to_view(path));
            if (!r) {
                return r.status().fill(err);
            }
            // The caller's struct: write only the fields its size covers.
            if (CCDR_HAS_FIELD(info, ccdr_snapshot_info, tx_id)) {
                info->tx_id = r->tx_id;
            }
            if (CCDR_HAS_FIELD(info, ccdr_snapshot_info, commit_time_ms)) {
                info->commit_time_ms = r->commit_time_ms;
            }
            if (CCDR_HAS_FIELD(info, ccdr_snapshot_info, total_bytes)) {
                info->total_bytes = r->total_bytes;
            }
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status snapshot_import_file(ccdr_host_ctx* c, ccdr_string database, const ccdr_snapshot_info* info,
                                            ccdr_string path, ccdr_error* err) {
        try {
            return s(c)->snapshot_import_file(to_view(database), *info, to_view(path)).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static HostServer::TxInParts* parts(ccdr_apply_tx* tx) { return reinterpret_cast<HostServer::TxInParts*>(tx); }
    static ccdr_status apply_tx_begin(ccdr_host_ctx* c, ccdr_string database, uint64_t tx_id,
                                      int64_t commit_time_ms, uint64_t total_bytes, ccdr_apply_tx** out,
                                      ccdr_error* err) {
        try {
            *out = nullptr;
            auto r = s(c)->apply_tx_begin(to_view(database), tx_id, commit_time_ms, total_bytes);
            if (!r) {
                return r.status().fill(err);
            }
            *out = reinterpret_cast<ccdr_apply_tx*>(r.value().release());
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status apply_tx_part(ccdr_host_ctx*, ccdr_apply_tx* tx, ccdr_bytes part, ccdr_error* err) {
        try {
            return parts(tx)->part(std::span<const uint8_t>(part.data, part.len)).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status apply_tx_commit(ccdr_host_ctx*, ccdr_apply_tx* tx, ccdr_error* err) {
        std::unique_ptr<HostServer::TxInParts> owned(parts(tx));
        try {
            return owned->commit().fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static void apply_tx_abort(ccdr_host_ctx*, ccdr_apply_tx* tx) {
        try {
            delete parts(tx);
        } catch (...) {
        }
    }
    static ccdr_status read_log_bounded(ccdr_host_ctx* c, ccdr_string db, uint64_t from, uint64_t max_bytes,
                                        uint64_t tx_max_bytes, const ccdr_tx_visitor* v, ccdr_error* err) {
        try {
            return s(c)->read_log_bounded(to_view(db), from, max_bytes, tx_max_bytes, *v).fill(err);
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static HostServer::LoggedTx* logged(ccdr_log_tx* tx) { return reinterpret_cast<HostServer::LoggedTx*>(tx); }
    static ccdr_status log_tx_open(ccdr_host_ctx* c, ccdr_string db, uint64_t tx_id, uint64_t* length,
                                   ccdr_log_tx** out, ccdr_error* err) {
        try {
            *out = nullptr;
            auto r = s(c)->log_tx_open(to_view(db), tx_id);
            if (!r) {
                return r.status().fill(err);
            }
            *length = r.value()->length();
            *out = reinterpret_cast<ccdr_log_tx*>(r.value().release());
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static ccdr_status log_tx_read(ccdr_host_ctx*, ccdr_log_tx* tx, uint8_t* buffer, size_t capacity, size_t* read,
                                   ccdr_error* err) {
        try {
            *read = 0;
            auto r = logged(tx)->read(std::span<uint8_t>(buffer, capacity));
            if (!r) {
                return r.status().fill(err);
            }
            *read = r.value();
            return CCDR_OK;
        } catch (...) {
            return host_exception_status(err);
        }
    }
    static void log_tx_close(ccdr_host_ctx*, ccdr_log_tx* tx) {
        try {
            delete logged(tx);
        } catch (...) {
        }
    }
};

}  // namespace detail

// The vtable every HostServer shares.
inline const ccdr_host_api* host_api() {
    using T = detail::HostThunks;
    static const ccdr_host_api api = [] {
        ccdr_host_api a{};
        a.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_host_api);
        a.log = &T::log;
        a.get_setting = &T::get_setting;
        a.server_info = &T::server_info;
        a.register_procedure = &T::register_procedure;
        a.log_info = &T::log_info;
        a.read_log = &T::read_log;
        a.apply_batch = &T::apply_batch;
        a.snapshot_export = &T::snapshot_export;
        a.snapshot_import = &T::snapshot_import;
        a.create_database = &T::create_database;
        a.drop_database = &T::drop_database;
        a.set_database_kind = &T::set_database_kind;
        a.set_topology = &T::set_topology;
        a.database_info = &T::database_info;
        a.set_database_option = &T::set_database_option;
        a.get_database_option = &T::get_database_option;
        a.content_fingerprint = &T::content_fingerprint;
        a.list_users = &T::list_users;
        a.promote_with_topology = &T::promote_with_topology;
        a.cluster_subscriptions = &T::cluster_subscriptions;
        a.set_database_access = &T::set_database_access;
        a.make_replica = &T::make_replica;
        a.copy_database = &T::copy_database;
        a.running_fingerprint = &T::running_fingerprint;
        a.snapshot_export_file = &T::snapshot_export_file;
        a.snapshot_import_file = &T::snapshot_import_file;
        a.apply_tx_begin = &T::apply_tx_begin;
        a.apply_tx_part = &T::apply_tx_part;
        a.apply_tx_commit = &T::apply_tx_commit;
        a.apply_tx_abort = &T::apply_tx_abort;
        a.read_log_bounded = &T::read_log_bounded;
        a.log_tx_open = &T::log_tx_open;
        a.log_tx_read = &T::log_tx_read;
        a.log_tx_close = &T::log_tx_close;
        return a;
    }();
    return &api;
}

}  // namespace ccdr
