// make_replica (ABI 1.2): a standard database becomes a replica of another
// history that shares its transactions up to to_tx, and continues at to_tx+1
// by pulling (the plugin's switchover and re-attach). The mirror of
// promotion (cluster_promotion.cpp), in this order:
//   1. checks: standard database, a greater epoch, to_tx within its history,
//      every member able to reach to_tx (a member ahead needs its log from
//      tx 1, a member behind a log that has its missing transactions);
//   2. the undone transactions (to_tx+1 .. last, from the most advanced
//      member's log) go to the plugin's sink, before any change;
//   3. the members stop (STOPPED) and their write locks are taken, so
//      nothing commits, applies or prunes in them any more; a write that
//      slipped in after step 2 (a database that was not fenced) goes to the
//      sink now;
//   4. members behind to_tx catch up to exactly to_tx from another member's
//      log (transactions of the database's own history: kept on failure);
//   5. every member ahead of to_tx gets a new store generation beside its
//      live one, replayed from its own log up to to_tx (store/log_replay);
//      none is live yet;
//   6. CURRENT switches to the new generation in each of them;
//   7. one write of the system database: kind REPLICA, the epoch, the
//      options (the upstream link), access READ WRITE without a reason;
//   8. the members take the new stores (the old files go) and start as a
//      replica: STARTED with kind REPLICA.
// A failure before 7 switches every CURRENT back, deletes the new files and
// restarts the members as the standard database they were. docs/refhost.md
// says what a crash at each point leaves.
#include "dbms/cluster.hpp"

#include "common/value_conv.hpp"
#include "store/change_json.hpp"
#include "store/log_replay.hpp"

#include <ccdr/setting_values.hpp>

#include <chrono>
#include <functional>

namespace refhost {

namespace {

constexpr uint64_t kReadBatchBytes = 4 << 20;

ccdr::Status not_found(std::string_view name) {
    return {CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + std::string(name) + "'."};
}

// Passes transactions from..to of `source`'s log to the sink, in id order;
// `heard` follows the last one it took.
ccdr::Status pass_undone(MemberStore& source, uint64_t from, uint64_t to, const ccdr_undone_sink* sink,
                         uint64_t& heard) {
    if (from > to) {
        return {};
    }
    if (sink == nullptr || !CCDR_HAS_FIELD(sink, ccdr_undone_sink, tx) || sink->tx == nullptr) {
        return {CCDR_INVALID_ARGUMENT, std::to_string(to - from + 1) + " transaction(s) (" + std::to_string(from) +
                                           ".." + std::to_string(to) +
                                           ") would be undone and no sink was given to hear them"};
    }
    ccdr::Status failed;
    while (heard < to) {
        const uint64_t before = heard;
        ccdr::Status st = source.read_log(heard + 1, kReadBatchBytes, [&](const ccdr_tx& tx) -> ccdr_status {
            if (tx.tx_id > to) {
                return CCDR_STOPPED;
            }
            auto json = change_record_json(std::span<const uint8_t>(tx.payload.data, tx.payload.len));
            if (!json) {
                failed = json.status().with_context("rendering tx " + std::to_string(tx.tx_id));
                return failed.code();
            }
            ccdr_undone_tx u{};
            u.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_undone_tx);
            u.tx_id = tx.tx_id;
            u.commit_time_ms = tx.commit_time_ms;
            u.payload = tx.payload;
            u.changes = ccdr::to_abi(*json);
            ccdr_status rc = sink->tx(sink->ctx, &u);
            if (rc != CCDR_OK) {
                failed = ccdr::Status(rc, "the plugin's sink refused undone tx " + std::to_string(tx.tx_id) +
                                              " (status " + std::to_string(rc) + ")");
                return rc;
            }
            heard = tx.tx_id;
            return CCDR_OK;
        });
        if (!failed) {
            return failed;
        }
        if (!st) {
            return st.with_context("reading the transactions to undo");
        }
        if (heard == before) {
            return {CCDR_CORRUPT, "the log ends at tx " + std::to_string(heard) + ", before tx " + std::to_string(to)};
        }
    }
    return {};
}

// A member whose log holds from..to (its own transactions, not a copy's).
std::shared_ptr<Member> log_holder(const DatabaseState& db, uint64_t from, uint64_t to) {
    for (const auto& m : db.members) {
        StoreState s = m->store()->state();
        if (s.last_tx >= to && s.oldest_retained <= from) {
            return m;
        }
    }
    return nullptr;
}

// Applies `source`'s transactions after target's last up to exactly to_tx.
ccdr::Status catch_up_to(MemberStore& target, MemberStore::WriteLock& lock, MemberStore& source, uint64_t to_tx) {
    std::vector<std::vector<uint8_t>> payloads;
    std::vector<ccdr_tx> txs;
    while (target.last_committed() < to_tx) {
        payloads.clear();
        txs.clear();
        ccdr::Status st = source.read_log(target.last_committed() + 1, kReadBatchBytes, [&](const ccdr_tx& tx) {
            if (tx.tx_id > to_tx) {
                return CCDR_STOPPED;
            }
            payloads.emplace_back(tx.payload.data, tx.payload.data + tx.payload.len);
            txs.push_back(ccdr_tx{tx.tx_id, tx.commit_time_ms, ccdr_bytes{nullptr, 0}});
            return CCDR_OK;
        });
        if (!st) {
            return st;
        }
        if (txs.empty()) {
            return {CCDR_CORRUPT, "the source's log ends before tx " + std::to_string(to_tx)};
        }
        for (size_t i = 0; i < txs.size(); ++i) {
            txs[i].payload = ccdr_bytes{payloads[i].data(), payloads[i].size()};
        }
        st = target.apply(lock, txs);
        if (!st) {
            return st;
        }
    }
    return {};
}

// Whether every member can be brought to to_tx (step 1, and again under the
// write locks, where pruning can no longer move the logs).
ccdr::Status check_reachable(const DatabaseState& db, uint64_t to_tx,
                                    const std::function<std::string(size_t)>& server_name) {
    for (const auto& m : db.members) {
        StoreState s = m->store()->state();
        const std::string where = "the member on " + server_name(m->server()) + " (at tx " +
                                  std::to_string(s.last_tx) + ")";
        if (s.last_tx > to_tx && to_tx > 0 && s.oldest_retained > 1) {
            return {CCDR_LOG_PRUNED, where + " cannot go back to tx " + std::to_string(to_tx) + ": its log starts at tx " +
                                         std::to_string(s.oldest_retained) +
                                         " and going back replays it from tx 1 (copy the store instead: "
                                         "createReplicaDatabase)"};
        }
        if (s.last_tx < to_tx && !log_holder(db, s.last_tx + 1, to_tx)) {
            return {CCDR_LOG_PRUNED, where + " cannot reach tx " + std::to_string(to_tx) +
                                         ": no member's log holds transactions " + std::to_string(s.last_tx + 1) +
                                         ".." + std::to_string(to_tx)};
        }
    }
    return {};
}

}  // namespace

ccdr::Status Cluster::make_replica(std::string_view raw, uint64_t epoch, uint64_t to_tx,
                                   const ccdr::ValueMap& options, const ccdr_undone_sink* undone) {
    std::lock_guard admin(admin_mu_);
    const auto started = std::chrono::steady_clock::now();
    const std::string name = ccdr::settings::lower(raw);
    auto db = database(name);
    if (!db) {
        return not_found(name);
    }
    auto server_name = [this](size_t s) { return servers_[s].name; };
    auto failed = [&](const ccdr::Status& st, const std::string& step) {
        log_->error("making '{}' a replica failed: {}: {}", name, step, st.message());
        return st.with_context("making '" + name + "' a replica: " + step + " (nothing was changed)");
    };

    // 1. What it is, and whether every member can reach to_tx.
    if (db->record.kind != CCDR_KIND_STANDARD) {
        return {CCDR_INVALID_ARGUMENT, "Database '" + name + "' is a " +
                                           (db->record.kind == CCDR_KIND_SYSTEM ? "system" : "replica") +
                                           " database: only a standard database can become a replica."};
    }
    if (epoch <= db->record.epoch) {
        return {CCDR_INVALID_ARGUMENT, "Cannot make '" + name + "' a replica of epoch " + std::to_string(epoch) +
                                           ": its own epoch is " + std::to_string(db->record.epoch) +
                                           " and the new one must be greater."};
    }
    if (db->members.empty()) {
        return {CCDR_INVALID_ARGUMENT, "Database '" + name + "' has no members."};
    }
    std::shared_ptr<Member> source = db->most_advanced(db->writer());
    uint64_t last = source->last_tx();
    if (to_tx > last) {
        return {CCDR_INVALID_ARGUMENT, "Cannot make '" + name + "' continue at tx " + std::to_string(to_tx + 1) +
                                           ": its last committed tx is " + std::to_string(last) + ", before tx " +
                                           std::to_string(to_tx) + "."};
    }
    ccdr::Status st = check_reachable(*db, to_tx, server_name);
    if (!st) {
        return st.with_context("making '" + name + "' a replica at tx " + std::to_string(to_tx) +
                               " (nothing was changed)");
    }

    // 2. What will be undone, before anything changes.
    uint64_t heard = to_tx;
    st = pass_undone(*source->store(), to_tx + 1, last, undone, heard);
    if (!st) {
        return failed(st, "passing the transactions after tx " + std::to_string(to_tx) + " to the plugin");
    }

    // 3. The members stop; their write locks keep every writer out (users,
    //    intra-cluster copies, pruning). From here a failure restarts them as
    //    the standard database they were.
    const bool online = db->record.requested_online;
    for (const auto& m : db->members) {
        if (m->online()) {
            m->set_state(CCDR_DB_STOPPING);
            send_event(*m, CCDR_EVENT_STOPPED, CCDR_KIND_STANDARD);
        }
    }
    end_database_transactions(name);
    for (const auto& m : db->members) {
        m->set_state(CCDR_DB_OFFLINE);
    }
    std::vector<MemberStore::WriteLock> locks;
    auto restart_as_standard = [&] {
        locks.clear();
        for (const auto& m : db->members) {
            m->set_state(online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
        }
        if (online) {
            catch_up_.wake();
            for (const auto& m : db->members) {
                send_event(*m, CCDR_EVENT_STARTED, CCDR_KIND_STANDARD);
            }
        }
    };
    for (const auto& m : db->members) {
        auto lock = m->store()->lock_for_write();
        if (!lock) {
            restart_as_standard();
            return failed(lock.status(), "stopping the writes on " + server_name(m->server()));
        }
        locks.push_back(std::move(lock.value()));
    }
    // A commit of a database that was not fenced may have landed after
    // step 2: it is undone too, and the sink hears it now.
    for (const auto& m : db->members) {
        uint64_t written = m->store()->written_state().last_tx;
        if (written > last) {
            st = m->store()->make_durable(written);
            if (!st) {
                restart_as_standard();
                return failed(st, "syncing the last transactions of " + server_name(m->server()));
            }
            last = written;
            source = m;
        }
    }
    st = pass_undone(*source->store(), heard + 1, last, undone, heard);
    if (!st) {
        restart_as_standard();
        return failed(st, "passing the transactions committed during the stop to the plugin");
    }
    st = check_reachable(*db, to_tx, server_name);
    if (!st) {
        restart_as_standard();
        return st.with_context("making '" + name + "' a replica at tx " + std::to_string(to_tx) +
                               " (nothing was changed)");
    }

    // 4. Members behind catch up to exactly to_tx.
    for (size_t i = 0; i < db->members.size(); ++i) {
        const auto& m = db->members[i];
        auto store = m->store();
        if (store->last_committed() >= to_tx) {
            continue;
        }
        auto holder = log_holder(*db, store->last_committed() + 1, to_tx);
        st = holder ? catch_up_to(*store, locks[i], *holder->store(), to_tx)
                    : ccdr::Status(CCDR_LOG_PRUNED, "no member's log holds what it misses");
        if (!st) {
            restart_as_standard();
            return failed(st, "bringing " + server_name(m->server()) + " to tx " + std::to_string(to_tx));
        }
    }

    // 5. Members ahead get a new generation at to_tx; none is live yet.
    struct Revert {
        std::shared_ptr<Member> member;
        std::shared_ptr<MemberStore> old_store;
        RebuiltGeneration built;
        std::shared_ptr<MemberStore> fresh;
        bool live = false;
    };
    std::vector<Revert> reverts;
    auto undo_reverts = [&] {
        for (auto& r : reverts) {
            if (r.live) {
                ccdr::Status back = MemberStore::make_live(r.old_store->dir(), r.old_store->file());
                if (!back) {
                    // Both files stay; CURRENT names the one it could.
                    log_->error("making '{}' a replica: could not switch {} back to {}: {}", name,
                                server_name(r.member->server()), r.old_store->file().string(), back.message());
                    r.fresh.reset();
                    continue;
                }
            }
            if (r.fresh) {
                r.fresh->retire(true);
                r.fresh.reset();
            } else {
                MemberStore::remove_file(r.built.file);
            }
        }
    };
    uint64_t replayed = 0;
    for (const auto& m : db->members) {
        auto store = m->store();
        if (store->last_committed() <= to_tx) {
            continue;
        }
        auto built = rebuild_generation(*store, to_tx);
        if (!built) {
            undo_reverts();
            restart_as_standard();
            return failed(built.status(), "rebuilding the member on " + server_name(m->server()) + " at tx " +
                                              std::to_string(to_tx));
        }
        replayed += built->replayed;
        reverts.push_back(Revert{m, store, std::move(built.value()), nullptr, false});
    }

    // 6. CURRENT names the new generation in each; the stores open on it.
    for (auto& r : reverts) {
        st = MemberStore::make_live(r.old_store->dir(), r.built.file);
        if (st) {
            r.live = true;
            auto fresh = MemberStore::open(r.old_store->dir(), r.old_store->store_id(), r.old_store->options());
            st = fresh ? ccdr::Status() : fresh.status();
            if (fresh) {
                r.fresh = fresh.value();
                if (r.fresh->last_committed() != to_tx) {
                    st = ccdr::Status(CCDR_INTERNAL, "the new store is at tx " +
                                                         std::to_string(r.fresh->last_committed()));
                }
            }
        }
        if (!st) {
            undo_reverts();
            restart_as_standard();
            return failed(st, "switching " + server_name(r.member->server()) + " to its store at tx " +
                                  std::to_string(to_tx));
        }
    }

    // 7. Kind, epoch, upstream link and access in one write.
    DatabaseRecord rec = db->record;
    rec.kind = CCDR_KIND_REPLICA;
    rec.epoch = epoch;
    rec.options = map_from_ccdr(options);
    rec.read_only = false;
    rec.access_reason.clear();
    auto next = std::make_shared<DatabaseState>();
    next->members = db->members;
    next->record = with_members(rec, db->members);
    for (auto& mr : next->record.members) {
        mr.writer = false;  // a replica has none
    }
    st = publish(name, next);
    if (!st) {
        undo_reverts();
        restart_as_standard();
        return failed(st, "recording it in the system database");
    }

    // 8. The new stores go live; the members start as a replica.
    locks.clear();
    for (auto& r : reverts) {
        r.member->set_store(r.fresh);
        r.old_store->retire(true);
    }
    for (const auto& m : db->members) {
        m->set_writer(false);
        m->set_state(online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    log_->info("'{}' is now a replica of epoch {} continuing at tx {} ({} transaction(s) undone, {} member(s) "
               "rebuilt from their log replaying {} transaction(s), {} ms)",
               name, epoch, to_tx + 1, last - to_tx, reverts.size(), replayed, ms);
    if (online) {
        for (const auto& m : db->members) {
            send_event(*m, CCDR_EVENT_STARTED, CCDR_KIND_REPLICA);
        }
    }
    return {};
}

}  // namespace refhost
