// Opening, recovering and shutting down a cluster; its background threads
// (catch-up: member_catch_up.cpp; maintenance: here).
#include "dbms/cluster.hpp"

#include "common/clock.hpp"
#include "security/password.hpp"
#include "store/file_util.hpp"

#include <spdlog/spdlog.h>

namespace refhost {

namespace fs = std::filesystem;

std::shared_ptr<Member> DatabaseState::member_on(size_t server) const {
    for (const auto& m : members) {
        if (m->server() == server) {
            return m;
        }
    }
    return nullptr;
}

std::shared_ptr<Member> DatabaseState::writer() const {
    for (const auto& m : members) {
        if (m->writer()) {
            return m;
        }
    }
    return nullptr;
}

std::shared_ptr<Member> DatabaseState::most_advanced(std::shared_ptr<Member> preferred) const {
    std::shared_ptr<Member> best = std::move(preferred);
    for (const auto& m : members) {
        if (!best || m->last_tx() > best->last_tx()) {
            best = m;
        }
    }
    return best;
}

Cluster::Cluster(Config config, std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)), log_(std::move(log)),
      catch_up_(*log_, [this](size_t server) { return servers_[server].name; }) {
    auth_enabled_ = config_.flag("dbms.security.auth_enabled");
    reads_on_primaries_ = config_.flag("dbms.routing.reads_on_primaries_enabled");
    routing_ttl_seconds_ = config_.duration("dbms.routing_ttl").count() / 1000;
    bookmark_timeout_ = config_.duration("db.transaction.bookmark_ready_timeout");
    lock_timeout_ = config_.duration("db.lock.acquisition.timeout");
    transaction_timeout_ = config_.duration("db.transaction.timeout");
    shutdown_timeout_ = config_.duration("db.shutdown_transaction_end_timeout");
    retention_ = config_.retention();
}

Cluster::~Cluster() {
    shutdown();
    std::lock_guard lock(state_mu_);
    dbs_.clear();
}

ccdr::Result<std::unique_ptr<Cluster>> Cluster::open(Config config, std::shared_ptr<spdlog::logger> log) {
    std::unique_ptr<Cluster> c(new Cluster(std::move(config), std::move(log)));
    for (auto step : {&Cluster::open_system, &Cluster::reconcile_servers, &Cluster::initialise_databases,
                      &Cluster::load_databases}) {
        ccdr::Status st = ((*c).*step)();
        if (!st) {
            return st;
        }
    }
    c->remove_stale_store_dirs();
    // Crash recovery: members left behind the most advanced one catch up
    // before anyone reads from them.
    c->catch_up_all();
    c->catch_up_.start([p = c.get()] { p->catch_up_all(); });
    c->maintenance_thread_ = std::thread([p = c.get()] { p->maintenance_loop(); });
    c->log_->info("cluster {} open: {} server(s), {} database(s)", c->cluster_id_, c->servers_.size(),
                  c->databases().size());
    return c;
}

ccdr::Status Cluster::open_system() {
    auto db = SystemDb::open(config_.data_dir() / "system" / "system.db");
    if (!db) {
        return db.status().with_context("opening the system database");
    }
    sysdb_ = std::move(db.value());
    cluster_id_ = sysdb_->cluster_id();
    if (!sysdb_->user("neo4j")) {
        // As Neo4j: user neo4j with password neo4j until set-initial-password.
        ccdr::Status st = sysdb_->put_user(UserRecord{"neo4j", hash_password("neo4j"), {"admin"}});
        if (!st) {
            return st;
        }
        log_->warn("user neo4j has the default password; set one with `refhost set-initial-password`");
    }
    UserDirectoryOptions options;
    options.auth_enabled = auth_enabled_;
    options.minimum_password_length = config_.integer("dbms.security.auth_minimum_password_length");
    users_ = std::make_unique<UserDirectory>(*sysdb_, log_, options);
    return {};
}

ccdr::Status Cluster::reconcile_servers() {
    std::vector<ServerRecord> known = sysdb_->servers();
    auto dbs = sysdb_->databases();
    if (!dbs) {
        return dbs.status();
    }
    std::vector<ServerRecord> out;
    for (const auto& s : config_.servers()) {
        ServerRecord r;
        for (const auto& k : known) {
            if (k.index == s.index) {
                r = k;
            }
        }
        if (r.id.empty()) {
            r.id = random_uuid();
        }
        r.index = s.index;
        r.name = s.name;
        r.bolt_address = s.bolt.to_string();
        r.cluster_address = s.cluster.to_string();
        r.mode_constraint = s.mode_constraint;
        out.push_back(r);
    }
    for (const auto& k : known) {
        if (k.index < out.size()) {
            continue;
        }
        for (const auto& d : *dbs) {
            if (d.kind == CCDR_KIND_SYSTEM) {
                continue;
            }
            for (const auto& m : d.members) {
                if (m.server_id == k.id) {
                    return {CCDR_INVALID_SETTING,
                            k.name + " (" + k.id + ") is no longer configured but hosts a member of database '" +
                                d.name + "': configure refhost.server." + std::to_string(k.index + 1) +
                                ".* again, or drop the database first"};
                }
            }
        }
    }
    servers_ = out;
    return sysdb_->put_servers(out);
}

std::optional<size_t> Cluster::server_index(const std::string& server_id) const {
    for (const auto& s : servers_) {
        if (s.id == server_id) {
            return s.index;
        }
    }
    return std::nullopt;
}

std::vector<ServerSlot> Cluster::server_slots(const std::string& except_database) const {
    std::vector<ServerSlot> slots;
    for (const auto& s : servers_) {
        slots.push_back(ServerSlot{s.index, s.mode_constraint, 0});
    }
    for (const auto& db : databases()) {
        if (db->record.kind == CCDR_KIND_SYSTEM || db->record.name == except_database) {
            continue;
        }
        for (const auto& m : db->members) {
            slots[m->server()].load++;
        }
    }
    return slots;
}

namespace {

DatabaseRecord system_record(const std::vector<ServerRecord>& servers, const std::string& cluster_id,
                             int64_t created) {
    DatabaseRecord r;
    r.name = "system";
    r.kind = CCDR_KIND_SYSTEM;
    r.store_id = cluster_id;
    r.primaries = static_cast<uint32_t>(servers.size());
    r.secondaries = 0;
    r.created_ms = created;
    r.started_ms = created;
    for (const auto& s : servers) {
        r.members.push_back(MemberRecord{s.id, CCDR_ROLE_PRIMARY, s.index == 0});
    }
    return r;
}

}  // namespace

ccdr::Status Cluster::initialise_databases() {
    if (sysdb_->initialised()) {
        return {};
    }
    std::string name = *config_.get("initial.dbms.default_database");
    auto p = static_cast<uint32_t>(config_.integer("initial.dbms.default_primaries_count"));
    auto s = static_cast<uint32_t>(config_.integer("initial.dbms.default_secondaries_count"));
    std::vector<ServerSlot> slots;
    for (const auto& srv : servers_) {
        slots.push_back(ServerSlot{srv.index, srv.mode_constraint, 0});
    }
    auto placement = allocate(slots, p, s);
    if (!placement) {
        return {CCDR_INVALID_SETTING, "Cannot create the default database '" + name + "' with " + std::to_string(p) +
                                          " primaries and " + std::to_string(s) +
                                          " secondaries (initial.dbms.default_primaries_count, "
                                          "initial.dbms.default_secondaries_count): " +
                                          placement.status().message()};
    }
    int64_t now = now_ms();
    DatabaseRecord d;
    d.name = name;
    d.kind = CCDR_KIND_STANDARD;
    d.store_id = random_uuid();
    d.epoch = 1;
    d.primaries = p;
    d.secondaries = s;
    d.created_ms = now;
    d.started_ms = now;
    bool writer_chosen = false;
    for (const auto& pl : *placement) {
        bool writer = pl.role == CCDR_ROLE_PRIMARY && !writer_chosen;
        writer_chosen = writer_chosen || writer;
        d.members.push_back(MemberRecord{servers_[pl.server].id, pl.role, writer});
    }
    ccdr::Status st = sysdb_->put_meta("default_database", name);
    if (st) {
        st = sysdb_->save({system_record(servers_, cluster_id_, now), d});
    }
    if (st) {
        log_->info("initialised the system database with default database '{}' ({} primaries, {} secondaries)",
                   name, p, s);
    }
    return st;
}

fs::path Cluster::member_dir(const std::string& database, size_t server) const {
    return config_.data_dir() / "servers" / servers_[server].name / "databases" / database;
}

ccdr::Result<std::shared_ptr<Member>> Cluster::make_member(const DatabaseRecord& rec, size_t server,
                                                           ccdr_member_role role, bool writer) {
    auto m = std::make_shared<Member>(rec.name, server, servers_[server].id, role);
    m->set_writer(writer);
    if (rec.kind == CCDR_KIND_SYSTEM) {
        return m;
    }
    std::weak_ptr<Member> weak = m;
    m->on_durable = [this, weak](uint64_t tx, int64_t time) {
        auto self = weak.lock();
        PluginBridge* bridge = plugins();
        if (self && bridge != nullptr) {
            bridge->after_commit(self->server(), self->database(), tx, time);
        }
    };
    m->on_durable_txs = [this, weak](std::span<const ccdr_tx> txs) {
        auto self = weak.lock();
        PluginBridge* bridge = plugins();
        if (self && bridge != nullptr) {
            bridge->after_commit_txs(self->server(), self->database(), txs);
        }
    };
    MemberStore::Options options;
    options.log_rotation_bytes = config_.log_rotation_bytes();
    auto store = MemberStore::open(member_dir(rec.name, server), rec.store_id, options);
    if (!store) {
        return store.status().with_context("opening the store of '" + rec.name + "' on " + servers_[server].name);
    }
    m->set_store(std::move(store.value()));
    return m;
}

ccdr::Status Cluster::load_databases() {
    auto recs = sysdb_->databases();
    if (!recs) {
        return recs.status();
    }
    default_database_ = sysdb_->get_meta("default_database");
    for (auto& rec : *recs) {
        if (rec.kind == CCDR_KIND_SYSTEM) {
            // The system database lives on every configured server.
            DatabaseRecord fresh = system_record(servers_, cluster_id_, rec.created_ms);
            fresh.started_ms = now_ms();
            if (fresh.members.size() != rec.members.size() || fresh.primaries != rec.primaries) {
                ccdr::Status st = sysdb_->save({fresh});
                if (!st) {
                    return st;
                }
            }
            rec = fresh;
        }
        auto state = std::make_shared<DatabaseState>();
        state->record = rec;
        for (const auto& mr : rec.members) {
            auto idx = server_index(mr.server_id);
            if (!idx) {
                return {CCDR_CORRUPT, "database '" + rec.name + "' has a member on unknown server " + mr.server_id};
            }
            if (rec.kind != CCDR_KIND_SYSTEM) {
                fs::path dir = member_dir(rec.name, *idx);
                std::error_code ec;
                if (fs::is_directory(dir, ec)) {
                    MemberStore::remove_unreferenced_files(dir);
                }
            }
            auto m = make_member(rec, *idx, mr.role, mr.writer);
            if (!m) {
                return m.status();
            }
            m.value()->set_state(rec.requested_online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE);
            state->members.push_back(m.value());
        }
        std::sort(state->members.begin(), state->members.end(),
                  [](const auto& a, const auto& b) { return a->server() < b->server(); });
        std::lock_guard lock(state_mu_);
        dbs_[rec.name] = state;
    }
    return {};
}

void Cluster::remove_stale_store_dirs() {
    for (const auto& s : servers_) {
        fs::path root = config_.data_dir() / "servers" / s.name / "databases";
        std::error_code ec;
        if (!fs::is_directory(root, ec)) {
            continue;
        }
        std::vector<fs::path> stale;
        for (const auto& e : fs::directory_iterator(root, ec)) {
            auto db = database(e.path().filename().string());
            if (!db || !db->member_on(s.index)) {
                stale.push_back(e.path());
            }
        }
        for (const auto& p : stale) {
            log_->info("removing {}: no such member in the system database", p.string());
            fs::remove_all(p, ec);
        }
    }
}

std::shared_ptr<const DatabaseState> Cluster::database(std::string_view name) const {
    std::lock_guard lock(state_mu_);
    auto it = dbs_.find(std::string(name));
    return it == dbs_.end() ? nullptr : it->second;
}

ccdr::Result<std::shared_ptr<Member>> Cluster::member(std::string_view database, size_t server) const {
    auto db = this->database(database);
    if (!db) {
        return ccdr::Status(CCDR_DATABASE_NOT_FOUND,
                            "Database does not exist. Database name: '" + std::string(database) + "'.");
    }
    auto m = db->member_on(server);
    if (!m || db->record.kind == CCDR_KIND_SYSTEM) {
        return ccdr::Status(CCDR_DATABASE_NOT_FOUND,
                            "Database '" + std::string(database) + "' has no member on " + servers_[server].name);
    }
    return m;
}

std::vector<std::shared_ptr<const DatabaseState>> Cluster::databases() const {
    std::lock_guard lock(state_mu_);
    std::vector<std::shared_ptr<const DatabaseState>> out;
    for (const auto& [k, v] : dbs_) {
        out.push_back(v);
    }
    return out;
}

void Cluster::send_event(const Member& m, ccdr_event_kind event, ccdr_database_kind kind) {
    if (PluginBridge* bridge = plugins()) {
        bridge->database_event(m.server(), m.database(), event, m.role(), kind);
    }
}

void Cluster::announce_members() {
    for (const auto& db : databases()) {
        for (const auto& m : db->members) {
            if (m->online()) {
                send_event(*m, CCDR_EVENT_STARTED, db->record.kind);
            }
        }
    }
}

void Cluster::announce_shutdown() {
    for (const auto& db : databases()) {
        for (const auto& m : db->members) {
            if (m->online()) {
                send_event(*m, CCDR_EVENT_STOPPED, db->record.kind);
            }
        }
    }
}

void Cluster::shutdown() {
    if (shut_down_.exchange(true)) {
        return;
    }
    {
        std::lock_guard lock(worker_mu_);
        stopping_ = true;
    }
    worker_cv_.notify_all();
    catch_up_.stop();
    if (maintenance_thread_.joinable()) {
        maintenance_thread_.join();
    }
    timer_.stop();
    log_->info("cluster {} stopped", cluster_id_);
    log_->flush();
}

void Cluster::maintenance_loop() {
    for (;;) {
        {
            std::unique_lock lock(worker_mu_);
            if (worker_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) {
                return;
            }
        }
        prune_logs();
        log_->flush();
    }
}

void Cluster::catch_up_all() {
    for (const auto& db : databases()) {
        catch_up_.catch_up_database(*db);
    }
}

void Cluster::prune_logs() {
    if (retention_.kind == RetentionPolicy::Kind::KeepAll) {
        return;
    }
    int64_t now = now_ms();
    for (const auto& db : databases()) {
        for (const auto& m : db->members) {
            auto store = m->store();
            if (!store) {
                continue;
            }
            // Replicas' holds (ABI 1.2 log_hold) are asked by the member's
            // server's plugin instances, when a plugin is loaded.
            MemberStore::LogHold hold;
            if (PluginBridge* bridge = plugins()) {
                const std::string& name = db->record.name;
                const size_t server = m->server();
                hold = [bridge, &name, server](const ccdr_log_prune_info& info) {
                    ccdr_log_prune_info named = info;
                    named.database = ccdr_string{name.data(), name.size()};
                    return bridge->log_hold(server, named);
                };
            }
            auto removed = store->prune(retention_, now, hold);
            if (!removed) {
                log_->warn("pruning the log of '{}' on {} failed: {}", db->record.name, servers_[m->server()].name,
                           removed.status().message());
            } else if (*removed > 0) {
                log_->debug("pruned {} transaction(s) from the log of '{}' on {}", *removed, db->record.name,
                            servers_[m->server()].name);
            }
        }
    }
}

std::string Cluster::server_bolt_address(size_t server) const {
    return server < servers_.size() ? servers_[server].bolt_address : std::string();
}

std::string Cluster::server_id(size_t server) const {
    return server < servers_.size() ? servers_[server].id : std::string();
}

}  // namespace refhost
