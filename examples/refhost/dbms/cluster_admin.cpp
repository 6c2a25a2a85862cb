// Database administration: create, drop, start, stop, topology, options,
// in ccdr::Status terms (promotion is in cluster_promotion.cpp). The client's commands
// (DbmsApi) are in cluster_commands.cpp; the plugins' ABI calls arrive
// through plugin_host/ServerHost.
#include "dbms/cluster.hpp"

#include "common/clock.hpp"
#include "common/value_conv.hpp"
#include "store/file_util.hpp"

#include <ccdr/setting_values.hpp>

namespace refhost {

namespace {

std::string lower_name(std::string_view name) { return ccdr::settings::lower(name); }

ccdr::Status not_found(std::string_view name) {
    return {CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + std::string(name) + "'."};
}

}  // namespace

DatabaseRecord Cluster::with_members(DatabaseRecord rec, const std::vector<std::shared_ptr<Member>>& members) {
    rec.members.clear();
    for (const auto& m : members) {
        rec.members.push_back(MemberRecord{m->server_id(), m->role(), m->writer()});
    }
    return rec;
}

ccdr::Status Cluster::publish(const std::string& name, std::shared_ptr<DatabaseState> state) {
    std::lock_guard lock(state_mu_);
    ccdr::Status st = state ? sysdb_->save({state->record}) : sysdb_->save({}, {name});
    if (!st) {
        return st;
    }
    if (state) {
        dbs_[name] = std::move(state);
    } else {
        dbs_.erase(name);
    }
    return {};
}

ccdr::Status Cluster::update_record(const std::string& name,
                                    const std::function<ccdr::Status(DatabaseRecord&)>& change) {
    std::lock_guard lock(state_mu_);
    auto it = dbs_.find(name);
    if (it == dbs_.end()) {
        return not_found(name);
    }
    auto next = std::make_shared<DatabaseState>(*it->second);
    ccdr::Status st = change(next->record);
    if (!st) {
        return st;
    }
    st = sysdb_->save({next->record});
    if (!st) {
        return st;
    }
    it->second = std::move(next);
    return {};
}

// --- create ----------------------------------------------------------------------

ccdr::Status Cluster::create(const ccdr::DatabaseSpec& spec) {
    std::lock_guard admin(admin_mu_);
    auto state = prepare_database(spec);
    if (!state) {
        return state.status();
    }
    return announce_database(std::move(state.value()));
}

ccdr::Result<std::shared_ptr<DatabaseState>> Cluster::prepare_database(const ccdr::DatabaseSpec& spec) {
    std::string name = lower_name(spec.name);
    ccdr::Status st = check_database_name(name);
    if (!st) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "Invalid database name '" + spec.name + "': " + st.message());
    }
    if (database(name)) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "Database '" + name + "' already exists.");
    }
    if (spec.kind != CCDR_KIND_STANDARD && spec.kind != CCDR_KIND_REPLICA) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "A database can be created as STANDARD or REPLICA only (kind " +
                                           std::to_string(static_cast<int>(spec.kind)) + ")");
    }
    if (spec.kind == CCDR_KIND_STANDARD && spec.primaries == 0) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "A standard database needs at least one primary (its writer).");
    }
    auto placement = allocate(server_slots(name), spec.primaries, spec.secondaries);
    if (!placement) {
        return placement.status();
    }
    int64_t now = now_ms();
    DatabaseRecord rec;
    rec.name = name;
    rec.kind = spec.kind;
    rec.store_id = spec.store_id.empty() ? random_uuid() : spec.store_id;
    rec.epoch = spec.epoch == 0 ? 1 : spec.epoch;
    rec.primaries = spec.primaries;
    rec.secondaries = spec.secondaries;
    rec.requested_online = true;
    rec.created_ms = now;
    rec.started_ms = now;
    rec.options = map_from_ccdr(spec.options);
    auto state = std::make_shared<DatabaseState>();
    bool writer_chosen = false;
    for (const auto& p : *placement) {
        bool writer = spec.kind == CCDR_KIND_STANDARD && p.role == CCDR_ROLE_PRIMARY && !writer_chosen;
        writer_chosen = writer_chosen || writer;
        auto m = make_member(rec, p.server, p.role, writer);
        if (!m) {
            discard_database(*state);
            return m.status();
        }
        m.value()->set_state(CCDR_DB_ONLINE);
        state->members.push_back(m.value());
    }
    std::sort(state->members.begin(), state->members.end(),
              [](const auto& a, const auto& b) { return a->server() < b->server(); });
    state->record = with_members(rec, state->members);
    return state;
}

void Cluster::discard_database(const DatabaseState& state) {
    for (const auto& m : state.members) {
        m->store()->retire(true);
    }
}

ccdr::Status Cluster::announce_database(std::shared_ptr<DatabaseState> state) {
    const DatabaseRecord& rec = state->record;
    ccdr::Status st = publish(rec.name, state);
    if (!st) {
        discard_database(*state);
        return st;
    }
    log_->info("created {} database '{}' (store id {}, epoch {}, {} primaries, {} secondaries)",
               rec.kind == CCDR_KIND_REPLICA ? "replica" : "standard", rec.name, rec.store_id, rec.epoch,
               rec.primaries, rec.secondaries);
    for (const auto& m : state->members) {
        send_event(*m, CCDR_EVENT_CREATED, rec.kind);
    }
    for (const auto& m : state->members) {
        send_event(*m, CCDR_EVENT_STARTED, rec.kind);
    }
    return {};
}

// --- drop ------------------------------------------------------------------------

ccdr::Status Cluster::drop(std::string_view raw) {
    std::lock_guard admin(admin_mu_);
    std::string name = lower_name(raw);
    auto db = database(name);
    if (!db) {
        return not_found(name);
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        return {CCDR_INVALID_ARGUMENT, "Not allowed to delete system database."};
    }
    std::vector<std::shared_ptr<Member>> was_online;
    for (const auto& m : db->members) {
        if (m->online()) {
            was_online.push_back(m);
        }
        m->set_state(CCDR_DB_STOPPING);
    }
    end_database_transactions(name);
    for (const auto& m : was_online) {
        send_event(*m, CCDR_EVENT_STOPPED, db->record.kind);
    }
    for (const auto& m : db->members) {
        m->set_state(CCDR_DB_OFFLINE);
    }
    ccdr::Status st = publish(name, nullptr);
    if (!st) {
        return st;
    }
    for (const auto& m : db->members) {
        m->store()->retire(true);
    }
    log_->info("dropped database '{}'", name);
    for (const auto& m : db->members) {
        send_event(*m, CCDR_EVENT_DROPPED, db->record.kind);
    }
    return {};
}

// --- start / stop ------------------------------------------------------------------

void Cluster::end_database_transactions(const std::string& name) {
    // Its members are stopping: no new transactions; the open ones may
    // finish within db.shutdown_transaction_end_timeout, then they end.
    size_t n = drain_transactions([&](const TrackedTransaction& t) { return t.identity().database == name; },
                                  termination_error(status::kDatabaseUnavailable,
                                                    status::kDatabaseUnavailableDescription));
    if (n > 0) {
        log_->info("stopping database '{}': {} open transaction(s) terminated", name, n);
    }
}

ccdr::Status Cluster::start_stop_impl(const std::string& name, bool start) {
    auto db = database(name);
    if (!db) {
        return not_found(name);
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        if (start) {
            return {};
        }
        return {CCDR_INVALID_ARGUMENT, "Not allowed to stop system database."};
    }
    if (db->record.requested_online == start) {
        return {};
    }
    int64_t now = now_ms();
    ccdr::Status st = update_record(name, [&](DatabaseRecord& r) {
        r.requested_online = start;
        (start ? r.started_ms : r.stopped_ms) = now;
        return ccdr::Status();
    });
    if (!st) {
        return st;
    }
    if (start) {
        // Members go online, then any that missed transactions while
        // stopped catch up before the database is announced.
        for (const auto& m : db->members) {
            m->set_state(CCDR_DB_ONLINE);
        }
        catch_up_.catch_up_database(*db);
        log_->info("started database '{}'", name);
        for (const auto& m : db->members) {
            send_event(*m, CCDR_EVENT_STARTED, db->record.kind);
        }
        return {};
    }
    for (const auto& m : db->members) {
        m->set_state(CCDR_DB_STOPPING);
    }
    end_database_transactions(name);
    for (const auto& m : db->members) {
        send_event(*m, CCDR_EVENT_STOPPED, db->record.kind);
    }
    for (const auto& m : db->members) {
        m->set_state(CCDR_DB_OFFLINE);
    }
    log_->info("stopped database '{}'", name);
    return {};
}

// --- topology ------------------------------------------------------------------------

ccdr::Status Cluster::set_topology(std::string_view raw, uint32_t primaries, uint32_t secondaries) {
    std::lock_guard admin(admin_mu_);
    std::string name = lower_name(raw);
    auto db = database(name);
    if (!db) {
        return not_found(name);
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        return {CCDR_INVALID_ARGUMENT, "The topology of the system database follows the servers."};
    }
    if (db->record.kind == CCDR_KIND_STANDARD && primaries == 0) {
        return {CCDR_INVALID_ARGUMENT, "A standard database needs at least one primary (its writer)."};
    }
    std::vector<Placement> current;
    for (const auto& m : db->members) {
        current.push_back(Placement{m->server(), m->role()});
    }
    auto placement = allocate(server_slots(name), primaries, secondaries, current);
    if (!placement) {
        return placement.status();
    }
    bool online = db->record.requested_online;
    std::vector<std::shared_ptr<Member>> kept, added, removed, changed;
    auto next = std::make_shared<DatabaseState>();
    for (const auto& p : *placement) {
        auto existing = db->member_on(p.server);
        if (existing) {
            if (existing->role() != p.role) {
                changed.push_back(existing);
            }
            kept.push_back(existing);
            next->members.push_back(existing);
            continue;
        }
        auto m = make_member(db->record, p.server, p.role, false);
        if (!m) {
            for (const auto& made : added) {
                made->store()->retire(true);
            }
            return m.status();
        }
        added.push_back(m.value());
        next->members.push_back(m.value());
    }
    for (const auto& m : db->members) {
        if (std::find(kept.begin(), kept.end(), m) == kept.end()) {
            removed.push_back(m);
        }
    }
    // Members that leave hear STOPPED first; role changes are a restart.
    for (const auto& m : removed) {
        m->set_state(CCDR_DB_STOPPING);
        send_event(*m, CCDR_EVENT_STOPPED, db->record.kind);
        m->set_state(CCDR_DB_OFFLINE);
    }
    for (const auto& m : changed) {
        if (m->online()) {
            send_event(*m, CCDR_EVENT_STOPPED, db->record.kind);
        }
    }
    for (const auto& p : *placement) {
        for (const auto& m : next->members) {
            if (m->server() == p.server) {
                m->set_role(p.role);
            }
        }
    }
    // A standard database's new members catch up with the writer before
    // they serve; the writer stays if it is still a primary.
    if (db->record.kind == CCDR_KIND_STANDARD) {
        std::shared_ptr<Member> writer = db->writer();
        bool writer_kept = writer && std::find(kept.begin(), kept.end(), writer) != kept.end() &&
                           writer->role() == CCDR_ROLE_PRIMARY;
        std::shared_ptr<Member> source = db->most_advanced(writer);
        for (const auto& m : added) {
            ccdr::Status st = catch_up_.catch_up(*m, *source);
            if (!st) {
                log_->warn("new member of '{}' on {} starts behind (the catch-up thread retries): {}", name,
                           servers_[m->server()].name, st.message());
            }
        }
        if (!writer_kept) {
            std::shared_ptr<Member> elected;
            for (const auto& m : next->members) {
                if (m->role() == CCDR_ROLE_PRIMARY && (!elected || m->last_tx() > elected->last_tx())) {
                    elected = m;
                }
            }
            for (const auto& m : next->members) {
                m->set_writer(m == elected);
            }
        }
    } else if (db->record.kind == CCDR_KIND_REPLICA) {
        // A replica's new members are seeded from its most advanced member,
        // inside this cluster, before their plugins start; they then pull
        // from the upstream what came after. Without this each would fetch
        // everything (or a store copy) across the WAN.
        std::shared_ptr<Member> source = db->most_advanced();
        for (const auto& m : added) {
            if (source->last_tx() == 0) {
                break;
            }
            ccdr::Status st = catch_up_.catch_up(*m, *source);
            if (st) {
                log_->info("new member of replica '{}' on {} seeded from {} at tx {}", name,
                           servers_[m->server()].name, servers_[source->server()].name, m->last_tx());
            } else {
                log_->warn("new member of replica '{}' on {} could not be seeded from {} (it pulls from the "
                           "upstream instead): {}",
                           name, servers_[m->server()].name, servers_[source->server()].name, st.message());
            }
        }
    }
    std::sort(next->members.begin(), next->members.end(),
              [](const auto& a, const auto& b) { return a->server() < b->server(); });
    DatabaseRecord rec = db->record;
    rec.primaries = primaries;
    rec.secondaries = secondaries;
    next->record = with_members(rec, next->members);
    ccdr::Status st = publish(name, next);
    if (!st) {
        return st;
    }
    for (const auto& m : removed) {
        m->set_writer(false);
        m->store()->retire(true);
        send_event(*m, CCDR_EVENT_DROPPED, db->record.kind);
    }
    for (const auto& m : added) {
        m->set_state(online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
        send_event(*m, CCDR_EVENT_CREATED, db->record.kind);
    }
    if (online) {
        for (const auto& m : changed) {
            send_event(*m, CCDR_EVENT_STARTED, db->record.kind);
        }
        for (const auto& m : added) {
            send_event(*m, CCDR_EVENT_STARTED, db->record.kind);
        }
    }
    log_->info("topology of '{}' is now {} primaries and {} secondaries ({} added, {} removed, {} changed role)", name,
               primaries, secondaries, added.size(), removed.size(), changed.size());
    return {};
}

// --- info and options ------------------------------------------------------------------

ccdr::Result<ccdr::DatabaseInfo> Cluster::database_info(size_t server, std::string_view raw) {
    auto db = database(lower_name(raw));
    if (!db) {
        return not_found(raw);
    }
    ccdr::DatabaseInfo info;
    info.name = db->record.name;
    info.kind = db->record.kind;
    info.requested_online = db->record.requested_online;
    info.primaries = db->record.primaries;
    info.secondaries = db->record.secondaries;
    info.store_id = db->record.store_id;
    info.epoch = db->record.epoch;
    uint64_t system_tx = db->record.kind == CCDR_KIND_SYSTEM ? sysdb_->system_tx() : 0;
    for (const auto& m : db->members) {
        const ServerRecord& s = servers_[m->server()];
        info.members.push_back(ccdr::MemberInfo{s.id, s.bolt_address, s.cluster_address, m->role(),
                                                m->writer() && db->record.kind != CCDR_KIND_REPLICA, m->state(),
                                                m->server() == server,
                                                db->record.kind == CCDR_KIND_SYSTEM ? system_tx : m->last_tx(),
                                                db->record.kind == CCDR_KIND_SYSTEM ? 0 : m->last_time_ms()});
    }
    return info;
}

ccdr::Status Cluster::set_database_option(std::string_view raw, std::string_view key, const ccdr::Value* value) {
    if (key.empty()) {
        return {CCDR_INVALID_ARGUMENT, "a database option needs a key"};
    }
    return update_record(lower_name(raw), [&](DatabaseRecord& r) {
        if (value == nullptr) {
            r.options.erase(std::string(key));
        } else {
            r.options.insert_or_assign(std::string(key), from_ccdr(*value));
        }
        return ccdr::Status();
    });
}

ccdr::Result<ccdr::Value> Cluster::get_database_option(std::string_view raw, std::string_view key) {
    auto db = database(lower_name(raw));
    if (!db) {
        return not_found(raw);
    }
    auto it = db->record.options.find(std::string(key));
    if (it == db->record.options.end()) {
        return ccdr::Value();
    }
    return to_ccdr(it->second);
}

}  // namespace refhost
