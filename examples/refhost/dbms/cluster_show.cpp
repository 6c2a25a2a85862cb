// What clients see: SHOW DATABASES rows, SHOW SERVERS, routing tables,
// plugin procedures; and the metrics each server reports.
#include "dbms/cluster.hpp"

#include "common/clock.hpp"
#include "security/privileges.hpp"

#include <ccdr/setting_values.hpp>

namespace refhost {

Outcome<std::vector<DatabaseRow>> Cluster::show_databases(size_t /*server*/, const std::optional<std::string>& name,
                                                          const AuthUser& user) {
    // As Neo4j: a user sees the databases they may access (PUBLIC alone: the
    // default database) and system.
    const bool every_database = security::privileges_of(user.roles).access_every_database;
    std::vector<DatabaseRow> rows;
    uint64_t system_tx = sysdb_->system_tx();
    std::optional<std::string> wanted;
    if (name) {
        wanted = ccdr::settings::lower(*name);
    }
    PluginBridge* bridge = plugins();
    for (const auto& db : databases()) {
        const DatabaseRecord& r = db->record;
        if (wanted && r.name != *wanted) {
            continue;
        }
        if (!every_database && r.kind != CCDR_KIND_SYSTEM && r.name != default_database_) {
            continue;
        }
        int64_t current_p = 0, current_s = 0;
        uint64_t most = 0;
        for (const auto& m : db->members) {
            (m->role() == CCDR_ROLE_PRIMARY ? current_p : current_s)++;
            most = std::max(most, m->last_tx());
        }
        for (const auto& m : db->members) {
            DatabaseRow row;
            row.name = r.name;
            row.type = r.kind == CCDR_KIND_SYSTEM ? "system" : r.kind == CCDR_KIND_REPLICA ? "replica" : "standard";
            row.access = r.kind == CCDR_KIND_REPLICA || r.read_only ? "read-only" : "read-write";
            row.database_id = r.store_id;
            row.server_id = m->server_id();
            row.address = servers_[m->server()].bolt_address;
            row.role = m->role() == CCDR_ROLE_PRIMARY ? "primary" : "secondary";
            row.writer = r.kind != CCDR_KIND_REPLICA && m->writer();
            row.requested_status = r.requested_online ? "online" : "offline";
            switch (m->state()) {
                case CCDR_DB_ONLINE: row.current_status = "online"; break;
                case CCDR_DB_OFFLINE: row.current_status = "offline"; break;
                case CCDR_DB_STARTING: row.current_status = "starting"; break;
                case CCDR_DB_STOPPING: row.current_status = "stopping"; break;
                case CCDR_DB_STORE_COPYING: row.current_status = "store copying"; break;
                default: row.current_status = "unknown"; break;
            }
            row.is_default = r.name == default_database_;
            row.is_home = row.is_default;
            row.current_primaries_count = current_p;
            row.current_secondaries_count = current_s;
            row.requested_primaries_count = r.primaries;
            row.requested_secondaries_count = r.secondaries;
            row.creation_time = datetime_from_ms(r.created_ms);
            if (r.started_ms != 0) {
                row.last_start_time = datetime_from_ms(r.started_ms);
            }
            if (r.stopped_ms != 0) {
                row.last_stop_time = datetime_from_ms(r.stopped_ms);
            }
            row.store = kStoreFormat;
            row.options = r.options;
            // replicationLag: transactions this member has not applied, >= 0
            // (docs/operations.md "Member states"). A standard database's
            // member counts from the most advanced member; a replica's from
            // its upstream, which only the plugin knows: null until it does.
            if (r.kind == CCDR_KIND_SYSTEM) {
                row.last_committed_txn = static_cast<int64_t>(system_tx);
                row.replication_lag = 0;
            } else {
                row.last_committed_txn = static_cast<int64_t>(m->last_tx());
                if (r.kind == CCDR_KIND_REPLICA) {
                    row.replication_lag.reset();
                } else {
                    row.replication_lag = static_cast<int64_t>(most - m->last_tx());
                }
            }
            // The plugin knows a replica member's progress (store copy, lag
            // behind its upstream) better than the host does.
            if (bridge != nullptr && r.kind != CCDR_KIND_SYSTEM) {
                if (auto status = bridge->describe_database(m->server(), r.name)) {
                    row.status_message = std::string(status->message, strnlen(status->message, sizeof status->message));
                    // In Neo4j's words (reference/bolt-and-neo4j.md §2): a
                    // member that has not yet reached its upstream's position
                    // once is "starting" (it serves reads, of an older
                    // state); one that stopped on an error it will not retry
                    // is "dirty", as a database that failed to start.
                    if (m->online()) {
                        switch (status->state) {
                            case CCDR_REPLICA_STORE_COPY: row.current_status = "store copying"; break;
                            case CCDR_REPLICA_CREATING: row.current_status = "starting"; break;
                            case CCDR_REPLICA_FAILED: row.current_status = "dirty"; break;
                            default: break;
                        }
                    }
                    if (status->has_lag != 0) {
                        row.replication_lag = std::max<int64_t>(status->lag_tx, 0);
                    }
                }
            }
            // A fence set with a reason (set_database_access) says why on
            // every member, ahead of what the plugin reports.
            if (r.read_only && !r.access_reason.empty()) {
                row.status_message = row.status_message.empty() ? r.access_reason
                                                                : r.access_reason + "; " + row.status_message;
            }
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

std::vector<ServerRow> Cluster::show_servers() {
    std::vector<ServerRow> rows;
    auto dbs = databases();
    for (const auto& s : servers_) {
        ServerRow row;
        row.server_id = s.id;
        row.name = s.name;
        row.address = s.bolt_address;
        row.state = "Enabled";
        row.health = "Available";
        row.mode_constraint = s.mode_constraint;
        row.cluster_address = s.cluster_address;
        for (const auto& db : dbs) {
            if (db->member_on(s.index)) {
                row.hosting.push_back(db->record.name);
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Outcome<RoutingTable> Cluster::routing_table(size_t /*server*/, const std::string& database) {
    std::string name = ccdr::settings::lower(database.empty() ? default_database_ : database);
    auto db = this->database(name);
    if (!db) {
        return make_error(status::kDatabaseNotFound,
                          "Database does not exist. Database name: '" + name + "'.");
    }
    if (!db->record.requested_online) {
        return make_error(status::kDatabaseUnavailable, "Database '" + name + "' is unavailable.");
    }
    RoutingTable t;
    t.ttl_seconds = routing_ttl_seconds_;
    t.database = name;
    bool replica = db->record.kind == CCDR_KIND_REPLICA;
    bool has_secondaries = false;
    for (const auto& m : db->members) {
        has_secondaries = has_secondaries || m->role() == CCDR_ROLE_SECONDARY;
    }
    std::shared_ptr<Member> writer = replica ? nullptr : db->writer();
    for (const auto& m : db->members) {
        const std::string& address = servers_[m->server()].bolt_address;
        t.routers.push_back(address);
        if (m == writer) {
            t.writers.push_back(address);
            continue;
        }
        if (!reads_on_primaries_ && has_secondaries && m->role() == CCDR_ROLE_PRIMARY) {
            continue;
        }
        t.readers.push_back(address);
    }
    // A lone writer reads too (Neo4j does the same).
    if (t.readers.empty() && writer) {
        t.readers.push_back(servers_[writer->server()].bolt_address);
    }
    return t;
}

std::vector<ProcedureInfo> Cluster::plugin_procedures(size_t server) {
    PluginBridge* bridge = plugins();
    return bridge != nullptr ? bridge->procedures(server) : std::vector<ProcedureInfo>{};
}

Outcome<std::vector<std::string>> Cluster::call_plugin_procedure(size_t server, const std::string& name,
                                                                 const List& args, const AuthUser& user,
                                                                 const std::string& session_database,
                                                                 const RowSink& sink) {
    PluginBridge* bridge = plugins();
    if (bridge == nullptr) {
        return make_error(status::kProcedureNotFound,
                          "There is no procedure with the name `" + name +
                              "` registered for this database instance. Please ensure you've spelled the procedure "
                              "name correctly and that the procedure is properly deployed.");
    }
    return bridge->call_procedure(server, name, args, user, session_database, sink);
}

void Cluster::collect_metrics(size_t server, const MetricEmit& emit) {
    uint64_t system_tx = sysdb_->system_tx();
    for (const auto& db : databases()) {
        auto m = db->member_on(server);
        if (!m) {
            continue;
        }
        std::string p = "database." + db->record.name + ".transaction.";
        auto counter = [&](const char* n, int64_t v) { emit(p + n, CCDR_METRIC_COUNTER, static_cast<double>(v)); };
        auto gauge = [&](const char* n, int64_t v) { emit(p + n, CCDR_METRIC_GAUGE, static_cast<double>(v)); };
        uint64_t last = db->record.kind == CCDR_KIND_SYSTEM ? system_tx : m->last_tx();
        counter("last_committed_tx_id", static_cast<int64_t>(last));
        gauge("last_closed_tx_id", static_cast<int64_t>(last));
        if (db->record.kind != CCDR_KIND_SYSTEM) {
            gauge("lowest_available_committed_tx_id", static_cast<int64_t>(m->store()->state().oldest_retained));
        }
        const MemberMetrics& mm = m->metrics();
        counter("started", mm.started.load());
        counter("committed", mm.committed.load());
        counter("committed_read", mm.committed_read.load());
        counter("committed_write", mm.committed_write.load());
        counter("rollbacks", mm.rollbacks.load());
        counter("rollbacks_read", mm.rollbacks_read.load());
        counter("rollbacks_write", mm.rollbacks_write.load());
        gauge("active", mm.active_read.load() + mm.active_write.load());
        gauge("active_read", mm.active_read.load());
        gauge("active_write", mm.active_write.load());
        gauge("peak_concurrent", mm.peak_concurrent.load());
        emit("database." + db->record.name + ".refhost.transactions_applied", CCDR_METRIC_COUNTER,
             static_cast<double>(mm.applied.load()));
        if (db->record.kind != CCDR_KIND_SYSTEM) {
            // The store's WAL checkpoints (store/wal_checkpointer.hpp): a
            // long hold of the write lock is a stall of every writer.
            const WalCheckpointer::Counters cp = m->store()->checkpoints();
            const std::string c = "database." + db->record.name + ".refhost.checkpoint.";
            emit(c + "runs", CCDR_METRIC_COUNTER, static_cast<double>(cp.runs));
            emit(c + "completed", CCDR_METRIC_COUNTER, static_cast<double>(cp.completed));
            emit(c + "completed_unlocked", CCDR_METRIC_COUNTER, static_cast<double>(cp.completed_unlocked));
            emit(c + "inline", CCDR_METRIC_COUNTER, static_cast<double>(cp.inline_runs));
            emit(c + "write_lock_max_ms", CCDR_METRIC_GAUGE, static_cast<double>(cp.locked_us_max) / 1000.0);
        }
    }
    if (PluginBridge* bridge = plugins()) {
        bridge->collect_metrics(server, emit);
    }
}

}  // namespace refhost
