// Promotion: a replica becomes a standard database, with the topology it has
// or with a new one, in one step. Everything that can fail (placing the new
// members, creating their stores, bringing every member to the most advanced
// one's transaction, the write of the system database) happens before the
// first visible change; a failure puts the members back as they were and
// restarts them, so the database is the same replica with the same members,
// stores and topology. The plugin reaches this through set_database_kind and
// (ABI 1.2) promote_with_topology.
#include "dbms/cluster.hpp"

#include <ccdr/setting_values.hpp>

#include <algorithm>

namespace refhost {

namespace {

ccdr::Status not_found(std::string_view name) {
    return {CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + std::string(name) + "'."};
}

std::string topology_text(uint32_t primaries, uint32_t secondaries) {
    return std::to_string(primaries) + " primaries and " + std::to_string(secondaries) + " secondaries";
}

}  // namespace

ccdr::Status Cluster::set_database_kind(std::string_view raw, ccdr_database_kind kind, uint64_t epoch) {
    if (kind != CCDR_KIND_STANDARD) {
        if (!database(ccdr::settings::lower(raw))) {
            return not_found(raw);
        }
        return {CCDR_INVALID_ARGUMENT, "A database can only change kind from REPLICA to STANDARD (promotion)."};
    }
    return promote(raw, epoch, std::nullopt);
}

ccdr::Status Cluster::promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                            uint32_t secondaries) {
    return promote(name, epoch, TopologyRequest{primaries, secondaries});
}

ccdr::Status Cluster::promote(std::string_view raw, uint64_t epoch, std::optional<TopologyRequest> topology) {
    std::lock_guard admin(admin_mu_);
    std::string name = ccdr::settings::lower(raw);
    auto db = database(name);
    if (!db) {
        return not_found(name);
    }
    if (db->record.kind != CCDR_KIND_REPLICA) {
        return {CCDR_INVALID_ARGUMENT, "Database '" + name + "' is a " +
                                           (db->record.kind == CCDR_KIND_SYSTEM ? "system" : "standard") +
                                           " database, not a replica: only a replica can be promoted."};
    }

    // 1. Where the members will be: where they are, or where the new topology
    //    puts them (members on servers that keep a member stay).
    std::vector<Placement> current;
    for (const auto& m : db->members) {
        current.push_back(Placement{m->server(), m->role()});
    }
    std::vector<Placement> placement = current;
    if (topology) {
        if (topology->primaries == 0) {
            return {CCDR_INVALID_ARGUMENT, "A standard database needs at least one primary (its writer)."};
        }
        auto placed = allocate(server_slots(name), topology->primaries, topology->secondaries, current);
        if (!placed) {
            return placed.status();
        }
        placement = std::move(placed.value());
    }
    if (std::none_of(placement.begin(), placement.end(),
                     [](const Placement& p) { return p.role == CCDR_ROLE_PRIMARY; })) {
        return {CCDR_INVALID_ARGUMENT, "Cannot promote '" + name + "': it has no primary member to become the writer."};
    }

    // 2. The stores of new members, not yet part of the database.
    std::vector<std::shared_ptr<Member>> added;
    auto discard_added = [&] {
        for (const auto& m : added) {
            m->store()->retire(true);
        }
    };
    for (const auto& p : placement) {
        if (db->member_on(p.server)) {
            continue;
        }
        auto m = make_member(db->record, p.server, p.role, false);
        if (!m) {
            discard_added();
            return m.status().with_context("promoting '" + name + "': creating its new member on " +
                                           servers_[p.server].name + " (nothing was changed)");
        }
        added.push_back(m.value());
    }

    // 3. The appliers end: every member hears STOPPED. From here a failure
    //    restarts them as the replica they were.
    const bool online = db->record.requested_online;
    for (const auto& m : db->members) {
        if (m->online()) {
            m->set_state(CCDR_DB_STOPPING);
            send_event(*m, CCDR_EVENT_STOPPED, CCDR_KIND_REPLICA);
        }
    }
    auto restart_as_replica = [&] {
        discard_added();
        for (const auto& m : db->members) {
            m->set_state(online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
            if (online) {
                send_event(*m, CCDR_EVENT_STARTED, CCDR_KIND_REPLICA);
            }
        }
    };

    // 4. The members of the promoted database, kept and new, in server order.
    auto next = std::make_shared<DatabaseState>();
    for (const auto& p : placement) {
        auto m = db->member_on(p.server);
        if (!m) {
            m = *std::find_if(added.begin(), added.end(), [&](const auto& a) { return a->server() == p.server; });
        }
        next->members.push_back(m);
    }
    std::sort(next->members.begin(), next->members.end(),
              [](const auto& a, const auto& b) { return a->server() < b->server(); });

    // 5. Each of them reaches the most advanced member's transaction (which
    //    may be a member that leaves: it is read before it goes), copied
    //    inside this cluster.
    std::shared_ptr<Member> source = db->most_advanced();
    for (const auto& m : next->members) {
        if (m == source || m->last_tx() >= source->last_tx()) {
            continue;
        }
        ccdr::Status st = catch_up_.catch_up(*m, *source);
        if (!st) {
            log_->error("promotion of '{}' failed: {} could not catch up with {}: {}", name,
                        servers_[m->server()].name, servers_[source->server()].name, st.message());
            restart_as_replica();
            return st.with_context("promoting '" + name + "': bringing " + servers_[m->server()].name + " to tx " +
                                   std::to_string(source->last_tx()) + " (nothing was changed)");
        }
    }

    // 6. Roles, a writer among the primaries (all equal now: the first), and
    //    kind, epoch and topology in one write of the system database.
    std::vector<std::pair<std::shared_ptr<Member>, ccdr_member_role>> old_roles;
    for (const auto& p : placement) {
        for (const auto& m : next->members) {
            if (m->server() == p.server && m->role() != p.role) {
                old_roles.emplace_back(m, m->role());
                m->set_role(p.role);
            }
        }
    }
    std::shared_ptr<Member> writer;
    for (const auto& m : next->members) {
        if (!writer && m->role() == CCDR_ROLE_PRIMARY) {
            writer = m;
        }
    }
    for (const auto& m : next->members) {
        m->set_writer(m == writer);
    }
    DatabaseRecord rec = db->record;
    rec.kind = CCDR_KIND_STANDARD;
    rec.epoch = epoch == 0 ? rec.epoch + 1 : epoch;
    if (topology) {
        rec.primaries = topology->primaries;
        rec.secondaries = topology->secondaries;
    }
    next->record = with_members(rec, next->members);
    ccdr::Status st = publish(name, next);
    if (!st) {
        for (const auto& m : next->members) {
            m->set_writer(false);
        }
        for (const auto& [m, role] : old_roles) {
            m->set_role(role);
        }
        log_->error("promotion of '{}' failed: recording it in the system database: {}", name, st.message());
        restart_as_replica();
        return st.with_context("promoting '" + name + "': recording it in the system database (nothing was changed)");
    }

    // 7. Members that left are deleted; the others start as a standard
    //    database: PROMOTED for those that were replica members, CREATED for
    //    the new ones, then STARTED.
    std::vector<std::shared_ptr<Member>> removed;
    for (const auto& m : db->members) {
        if (std::find(next->members.begin(), next->members.end(), m) == next->members.end()) {
            removed.push_back(m);
        }
    }
    for (const auto& m : removed) {
        m->set_writer(false);
        m->set_state(CCDR_DB_OFFLINE);
        m->store()->retire(true);
        send_event(*m, CCDR_EVENT_DROPPED, CCDR_KIND_REPLICA);
    }
    for (const auto& m : next->members) {
        m->set_state(online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
    }
    log_->info("promoted '{}' to a standard database at tx {} (epoch {}, writer on {}){}", name, source->last_tx(),
               rec.epoch, servers_[writer->server()].name,
               topology ? " with " + topology_text(rec.primaries, rec.secondaries) + " (" +
                              std::to_string(added.size()) + " added, " + std::to_string(removed.size()) +
                              " removed)"
                        : std::string());
    for (const auto& m : next->members) {
        const bool is_new = std::find(added.begin(), added.end(), m) != added.end();
        send_event(*m, is_new ? CCDR_EVENT_CREATED : CCDR_EVENT_PROMOTED, CCDR_KIND_STANDARD);
    }
    if (online) {
        for (const auto& m : next->members) {
            send_event(*m, CCDR_EVENT_STARTED, CCDR_KIND_STANDARD);
        }
    }
    return {};
}

}  // namespace refhost
