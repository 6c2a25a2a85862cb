// Transactions on members (the commit path: veto, tx id, log, intra-cluster
// copies), bookmarks, authentication.
#include "common/client_error.hpp"
#include "common/clock.hpp"
#include "dbms/bookmark.hpp"
#include "dbms/cluster.hpp"
#include "dbms/privileged_graph.hpp"
#include "security/privileges.hpp"
#include "store/file_util.hpp"
#include "store/graph_tx.hpp"

#include <ccdr/setting_values.hpp>

#include <algorithm>
#include <charconv>

namespace refhost {

std::optional<Bookmark> Bookmark::parse(std::string_view text) {
    static constexpr std::string_view kPrefix = "refhost:";
    if (text.substr(0, kPrefix.size()) != kPrefix) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(kPrefix.size());
    size_t last = rest.rfind(':');
    if (last == std::string_view::npos || last == 0) {
        return std::nullopt;
    }
    size_t mid = rest.rfind(':', last - 1);
    if (mid == std::string_view::npos || mid == 0) {
        return std::nullopt;
    }
    Bookmark b;
    b.database = std::string(rest.substr(0, mid));
    b.store_id = std::string(rest.substr(mid + 1, last - mid - 1));
    std::string_view tx = rest.substr(last + 1);
    auto [p, ec] = std::from_chars(tx.data(), tx.data() + tx.size(), b.tx_id);
    if (ec != std::errc() || p != tx.data() + tx.size() || b.store_id.empty()) {
        return std::nullopt;
    }
    return b;
}

namespace {

Error unavailable(const std::string& db) {
    return make_error(status::kDatabaseUnavailable, "Database '" + db + "' is unavailable.");
}

Error read_only_database(const std::string& db) {
    return make_error(status::kForbiddenOnReadOnlyDatabase,
                      "No write operations are allowed on database '" + db +
                          "': it is read-only (ALTER DATABASE " + db + " SET ACCESS READ ONLY).");
}

Error read_only_instance() {
    return make_error(status::kForbiddenOnReadOnlyDatabase,
                      "No write operations are allowed on this database. This is a read only Neo4j instance.");
}

// The system database holds no graph: reads see nothing, writes are refused.
class EmptyGraph final : public GraphWriter {
public:
    std::optional<Node> node(int64_t) override { return std::nullopt; }
    std::optional<Relationship> relationship(int64_t) override { return std::nullopt; }
    Done scan_nodes(std::string_view, const NodeVisitor&) override { return done(); }
    Done scan_relationships(std::string_view, const RelationshipVisitor&) override { return done(); }
    Done expand(int64_t, Direction, std::string_view, const RelationshipVisitor&) override { return done(); }
    int64_t count_nodes(std::string_view) override { return 0; }
    Outcome<Node> create_node(std::vector<std::string>, Map) override { return refused(); }
    Outcome<Relationship> create_relationship(int64_t, int64_t, std::string, Map) override { return refused(); }
    Done set_node_property(int64_t, const std::string&, const Value&) override { return refused(); }
    Done set_relationship_property(int64_t, const std::string&, const Value&) override { return refused(); }
    Done replace_node_properties(int64_t, Map) override { return refused(); }
    Done replace_relationship_properties(int64_t, Map) override { return refused(); }
    Done add_labels(int64_t, const std::vector<std::string>&) override { return refused(); }
    Done remove_labels(int64_t, const std::vector<std::string>&) override { return refused(); }
    Done delete_node(int64_t, bool) override { return refused(); }
    Done delete_relationship(int64_t) override { return refused(); }
    Stats stats() const override { return {}; }
    bool has_writes() const override { return false; }

private:
    static Error refused() {
        return make_error(status::kUnsupportedAdministrationCommand,
                          "The system database holds no graph data; only administration commands, SHOW and CALL run "
                          "on it.");
    }
};

class SystemTransaction final : public Transaction {
public:
    SystemTransaction(Cluster& cluster, AccessMode mode) : cluster_(cluster), mode_(mode) {}
    const std::string& database() const override { return name_; }
    AccessMode mode() const override { return mode_; }
    GraphWriter& graph() override { return graph_; }
    Outcome<std::string> commit() override {
        return Bookmark{"system", cluster_.cluster_id(), cluster_.system_db().system_tx()}.to_string();
    }
    void rollback() override {}
    // Administration is synchronous and takes no write lock of a member: a
    // system transaction is neither tracked nor terminated.
    const std::string& id() const override { return id_; }
    Outcome<Reservation> reserve_write() override { return Reservation::Ready; }
    std::optional<Error> termination() const override { return std::nullopt; }
    bool holds_write_lock() const override { return false; }
    void query_started(const std::string&, const Map&) override {}
    void query_finished() override {}

private:
    Cluster& cluster_;
    AccessMode mode_;
    std::string name_ = "system";
    std::string id_;
    EmptyGraph graph_;
};

}  // namespace

class ClusterTransaction final : public Transaction, public WriteAdmission {
public:
    ClusterTransaction(Cluster& cluster, std::shared_ptr<const DatabaseState> db, std::shared_ptr<Member> member,
                       AccessMode mode, AuthUser user, const TxOptions& options)
        : cluster_(cluster), db_(std::move(db)), member_(std::move(member)), mode_(mode), user_(std::move(user)),
          name_(db_->record.name), wake_(options.wake) {
        member_->tx_opened(mode_ == AccessMode::Write);
        TrackedTransaction::Identity who;
        who.id = cluster_.transactions_.next_id(name_);
        who.database = name_;
        who.server = member_->server();
        who.username = user_.name;
        who.mode = mode_;
        who.client = options;
        who.start_epoch_ms = now_ms();
        who.start = std::chrono::steady_clock::now();
        id_ = who.id;
        tracked_ = std::make_shared<TrackedTransaction>(std::move(who));
        auto timeout = options.timeout ? *options.timeout : cluster_.transaction_timeout_;
        cluster_.transactions_.add(tracked_, timeout, options.timeout.has_value());
    }
    ~ClusterTransaction() override {
        if (!closed_) {
            rollback();
        }
    }

    ccdr::Status open() {
        auto store = member_->store();
        auto lease = store->connection();
        if (!lease) {
            return lease.status();
        }
        graph_ = std::make_unique<GraphTx>(store, std::move(lease.value()), *this);
        // A user who may not read or may not write sees the graph through
        // their privileges: refused writes never reach the store.
        auto privileges = security::privileges_of(user_.roles);
        if (!privileges.read || !privileges.write) {
            privileged_ = std::make_unique<PrivilegedGraph>(*graph_, privileges, name_,
                                                            security::describe_user(user_.name, user_.roles));
        }
        return {};
    }

    const std::string& database() const override { return name_; }
    AccessMode mode() const override { return mode_; }
    GraphWriter& graph() override { return privileged_ ? static_cast<GraphWriter&>(*privileged_) : *graph_; }
    const std::string& id() const override { return id_; }
    std::optional<Error> termination() const override { return tracked_->termination(); }
    std::optional<Error> interruption() const override { return tracked_->termination(); }
    bool holds_write_lock() const override { return granted_.held() || (graph_ && graph_->writing()); }

    void query_started(const std::string& text, const Map& parameters) override {
        tracked_->query_started(text, parameters, cluster_.transactions_.next_query_id());
    }
    void query_finished() override { tracked_->query_finished(); }

    Outcome<Reservation> reserve_write() override {
        if (closed_) {
            return closed_error();
        }
        if (auto stop = tracked_->termination()) {
            return *stop;
        }
        if (graph_->writing() || granted_.held()) {
            return Reservation::Ready;
        }
        if (wait_) {
            auto state = wait_->state();
            if (state == WriteLockWait::State::Waiting) {
                return Reservation::Waiting;
            }
            auto wait = std::move(wait_);
            tracked_->lock_wait_ended();
            switch (state) {
                case WriteLockWait::State::Granted:
                    granted_ = wait->take();
                    tracked_->set_holds_lock(granted_.held());
                    return Reservation::Ready;
                case WriteLockWait::State::TimedOut: return lock_timeout(wait->timeout());
                case WriteLockWait::State::Retired: return unavailable(name_);
                case WriteLockWait::State::Cancelled:
                case WriteLockWait::State::Waiting: break;
            }
            if (auto stop = tracked_->termination()) {
                return *stop;
            }
            return closed_error();
        }
        // A write this transaction may not do fails by itself, with its own
        // error (and in the order admit_write checks): no lock to queue for.
        if (mode_ == AccessMode::Read || !member_->accepts_commits() || member_->role() == CCDR_ROLE_SECONDARY ||
            !member_->writer() || db_->record.kind == CCDR_KIND_REPLICA || db_->record.read_only) {
            return Reservation::Ready;
        }
        wait_ = WriteLockWait::start(graph_->store_ptr(), wake_, cluster_.timer_, cluster_.lock_timeout_);
        if (wait_->state() == WriteLockWait::State::Waiting) {
            tracked_->lock_wait_started(wait_);
            return Reservation::Waiting;
        }
        return reserve_write();  // decided at once: granted (the usual case) or retired
    }

    Outcome<MemberStore::WriteLock> admit_write() override {
        if (closed_) {
            return closed_error();
        }
        if (auto stop = tracked_->termination()) {
            return *stop;
        }
        if (mode_ == AccessMode::Read) {
            return make_error(status::kAccessMode,
                              "Writing in read access mode not allowed. Attempted write to " + name_);
        }
        if (!member_->accepts_commits()) {
            return unavailable(name_);
        }
        if (PluginBridge* bridge = cluster_.plugins()) {
            ccdr::Status veto = bridge->before_commit(member_->server(), name_, CCDR_ORIGIN_USER, user_.name);
            if (!veto) {
                return client_error(veto);
            }
        }
        auto now = cluster_.database(name_);
        if (!now) {
            return unavailable(name_);
        }
        if (now->record.kind == CCDR_KIND_REPLICA || member_->role() == CCDR_ROLE_SECONDARY) {
            return read_only_instance();
        }
        if (now->record.read_only) {
            return read_only_database(name_);
        }
        if (!member_->writer()) {
            return not_a_leader();
        }
        if (granted_.held()) {
            return std::move(granted_);
        }
        MemberStore& store = graph_->store();
        if (wake_) {
            // An owner that must not block (a Bolt worker) reserves the lock
            // before a query that writes; a write it did not foresee takes
            // the lock only if nobody holds or waits for it.
            if (store.write_queue().try_acquire()) {
                tracked_->set_holds_lock(true);
                return store.adopt_write_lock();
            }
            return make_error(status::kLockAcquisitionTimeout,
                              std::string(status::kTerminatedPrefix) + status::kLockAcquisitionTimeoutDescription +
                                  " The write lock of database '" + name_ +
                                  "' is held and this request was not queued for it.");
        }
        auto timeout = cluster_.lock_timeout_.count() > 0 ? cluster_.lock_timeout_ : std::chrono::hours(24);
        auto lock = store.lock_for_write(timeout);
        if (!lock) {
            if (lock.status().code() == CCDR_TIMEOUT) {
                return lock_timeout(timeout);
            }
            return unavailable(name_);
        }
        tracked_->set_holds_lock(true);
        return std::move(lock.value());
    }

    Outcome<std::string> commit() override {
        if (closed_) {
            return closed_error();
        }
        if (auto stop = tracked_->termination()) {
            finish(false);
            return *stop;
        }
        closed_ = true;
        if (graph_->failure()) {
            Error e = *graph_->failure();
            finish(false);
            return e;
        }
        if (!graph_->writing() || !graph_->has_writes()) {
            finish(true);
            return bookmark(member_->last_tx());
        }
        if (PluginBridge* bridge = cluster_.plugins()) {
            ccdr::Status veto = bridge->before_commit(member_->server(), name_, CCDR_ORIGIN_USER, user_.name);
            if (!veto) {
                finish(false);
                return client_error(veto);
            }
        }
        // A member that is stopping lets the transactions it has finish.
        if (!member_->writer() || !member_->accepts_commits()) {
            finish(false);
            return member_->accepts_commits() ? not_a_leader() : unavailable(name_);
        }
        // The fence: no SET ACCESS READ ONLY lands between this check and
        // the append (cluster_access.cpp).
        // The same snapshot serves the copy to the other primaries below (one
        // lookup per commit).
        std::shared_lock fence(cluster_.fence_mu_);
        auto now = cluster_.database(name_);
        if (now && now->record.read_only) {
            finish(false);
            return read_only_database(name_);
        }
        std::vector<uint8_t> payload = graph_->record().bytes();
        MemberStore& store = graph_->store();
        auto stamp = store.commit_write(graph_->write_lock(), graph_->connection(), payload, graph_->ids());
        if (!stamp) {
            finish(false);
            return make_error(status::kTransactionCommitFailed,
                              "Could not commit the transaction: " + stamp.status().message());
        }
        // Still holding the writer's lock: copies reach the other primaries
        // in commit order, before the client hears of the commit.
        cluster_.catch_up_.copy_commit(now ? *now : *db_, *member_, stamp->tx_id, stamp->commit_time_ms, payload);
        fence.unlock();
        // Group commit: the lock goes first, so the next writer runs while
        // this transaction waits for (or performs) the sync that covers it.
        auto keep = graph_->store_ptr();
        finish(true);
        ccdr::Status durable = keep->make_durable(stamp->tx_id);
        if (!durable) {
            return make_error(status::kTransactionCommitFailed,
                              "The transaction was written but could not be made durable: " + durable.message());
        }
        return bookmark(stamp->tx_id);
    }

    void rollback() override {
        if (closed_) {
            return;
        }
        finish(false);
    }

private:
    void finish(bool committed) {
        closed_ = true;
        if (wait_) {
            wait_->cancel();
            wait_.reset();
            tracked_->lock_wait_ended();
        }
        granted_.release();
        if (graph_) {
            graph_->end();
        }
        tracked_->ended();
        cluster_.transactions_.remove(*tracked_);
        member_->tx_closed(mode_ == AccessMode::Write, committed);
    }
    Error lock_timeout(std::chrono::milliseconds waited) const {
        return make_error(status::kLockAcquisitionTimeout,
                          std::string(status::kTerminatedPrefix) + status::kLockAcquisitionTimeoutDescription +
                              " Unable to acquire lock for resource: the write lock of database '" + name_ +
                              "' within " + std::to_string(waited.count()) + " millis.");
    }
    std::string bookmark(uint64_t tx) const { return Bookmark{name_, db_->record.store_id, tx}.to_string(); }
    Error not_a_leader() const {
        return make_error(status::kNotALeader,
                          "No write operations are allowed directly on this database. Writes must pass through the "
                          "leader. The role of this server is: FOLLOWER");
    }
    static Error closed_error() {
        return make_error(status::kTransactionNotFound, "The transaction has been closed.");
    }

    Cluster& cluster_;
    std::shared_ptr<const DatabaseState> db_;
    std::shared_ptr<Member> member_;
    AccessMode mode_;
    AuthUser user_;
    std::string name_;
    std::function<void()> wake_;
    std::string id_;
    std::shared_ptr<TrackedTransaction> tracked_;
    std::unique_ptr<GraphTx> graph_;
    std::unique_ptr<PrivilegedGraph> privileged_;  // over graph_, when the user lacks read or write
    std::shared_ptr<WriteLockWait> wait_;
    MemberStore::WriteLock granted_;  // reserved by reserve_write, not yet taken by a write
    bool closed_ = false;
};

Outcome<std::unique_ptr<Transaction>> Cluster::begin(size_t server, const std::string& database, AccessMode mode,
                                                     const AuthUser& user, const std::vector<std::string>& bookmarks,
                                                     std::chrono::milliseconds bookmark_timeout,
                                                     const TxOptions& options) {
    if (server >= servers_.size()) {
        return make_error(status::kRequestInvalid, "No logical server " + std::to_string(server));
    }
    std::string name = ccdr::settings::lower(database.empty() ? default_database_ : database);
    auto db = this->database(name);
    if (!db) {
        return make_error(status::kDatabaseNotFound,
                          "Database does not exist. Database name: '" + name + "'.");
    }
    if (db->record.kind != CCDR_KIND_SYSTEM && user.credentials_expired) {
        return make_error(status::kCredentialsExpired, security::credentials_expired_message());
    }
    if (db->record.kind != CCDR_KIND_SYSTEM && name != default_database_ &&
        !security::privileges_of(user.roles).access_every_database) {
        // PUBLIC alone gives access to the default database only.
        return make_error(status::kForbidden, "Database access is not allowed for " +
                                                  security::describe_user(user.name, user.roles) + ".");
    }
    auto m = db->member_on(server);
    if (!m) {
        return make_error(status::kDatabaseUnavailable,
                          "Database '" + name + "' is unavailable. It is not hosted on " + servers_[server].name +
                              " (" + servers_[server].bolt_address + ").");
    }
    if (!m->online()) {
        return unavailable(name);
    }
    bool system = db->record.kind == CCDR_KIND_SYSTEM;
    if (!system && !accepting_transactions_.load()) {
        return make_error(status::kDatabaseUnavailable,
                          "Database '" + name + "' is unavailable. The server is shutting down.");
    }
    uint64_t wanted = 0;
    std::string store_id = system ? cluster_id_ : db->record.store_id;
    for (const auto& text : bookmarks) {
        auto b = Bookmark::parse(text);
        if (!b) {
            return make_error(status::kInvalidBookmark,
                              "Supplied bookmark '" + text +
                                  "' does not conform to pattern refhost:<database>:<store id>:<tx id>.");
        }
        if (b->database == name && b->store_id == store_id) {
            wanted = std::max(wanted, b->tx_id);
        }
    }
    if (system) {
        uint64_t have = sysdb_->system_tx();
        if (wanted > have) {
            return make_error(status::kBookmarkTimeout,
                              "Database 'system' not up to the requested version: " + std::to_string(wanted) +
                                  ". Latest database version is " + std::to_string(have));
        }
        return std::unique_ptr<Transaction>(new SystemTransaction(*this, mode));
    }
    if (wanted > 0) {
        auto timeout = bookmark_timeout.count() > 0 ? bookmark_timeout : bookmark_timeout_;
        if (!m->wait_for(wanted, timeout)) {
            return make_error(status::kBookmarkTimeout,
                              "Database '" + name + "' not up to the requested version: " + std::to_string(wanted) +
                                  ". Latest database version is " + std::to_string(m->last_tx()));
        }
    }
    auto tx = std::make_unique<ClusterTransaction>(*this, db, m, mode, user, options);
    ccdr::Status st = tx->open();
    if (!st) {
        return client_error(st);
    }
    return std::unique_ptr<Transaction>(std::move(tx));
}

// --- SHOW / TERMINATE TRANSACTIONS, draining ------------------------------------------

namespace {

bool visible_to(const TrackedTransaction& t, size_t server, const AuthUser& user) {
    return t.identity().server == server && (user.is_admin() || t.identity().username == user.name);
}

}  // namespace

std::vector<TransactionRow> Cluster::show_transactions(size_t server, const std::vector<std::string>& ids,
                                                       const AuthUser& user) {
    auto open = transactions_.list([&](const TrackedTransaction& t) { return visible_to(t, server, user); });
    std::vector<TransactionRow> rows;
    for (const auto& t : open) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), t->identity().id) == ids.end()) {
            continue;
        }
        std::string holder;
        if (t->waiting_for_lock()) {
            for (const auto& other : transactions_.list()) {
                const auto& who = other->identity();
                if (who.server == t->identity().server && who.database == t->identity().database &&
                    other->holds_lock()) {
                    holder = who.id;
                }
            }
        }
        rows.push_back(t->row(holder));
    }
    std::sort(rows.begin(), rows.end(), [](const TransactionRow& a, const TransactionRow& b) {
        return a.start_time != b.start_time ? a.start_time < b.start_time : a.transaction_id < b.transaction_id;
    });
    return rows;
}

std::vector<TerminationRow> Cluster::terminate_transactions(size_t server, const std::vector<std::string>& ids,
                                                            const AuthUser& user) {
    std::vector<TerminationRow> rows;
    for (const auto& id : ids) {
        TerminationRow r{id, std::nullopt, "Transaction not found."};
        auto t = transactions_.find(id);
        if (t && visible_to(*t, server, user)) {
            r.username = t->identity().username;
            bool ended = t->terminate(termination_error(status::kTerminated, status::kTerminatedDescription));
            r.message = ended || t->terminated() ? "Transaction terminated." : "Transaction not found.";
            if (ended) {
                log_->info("transaction {} of {} terminated by {}", id, t->identity().username, user.name);
            }
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

size_t Cluster::drain_transactions(const TransactionRegistry::Filter& filter, const Error& reason) {
    auto now = std::chrono::steady_clock::now();
    if (transactions_.wait_until_none(filter, now + shutdown_timeout_)) {
        return 0;
    }
    size_t n = transactions_.terminate_all(filter, reason);
    // Their owners roll back on their own threads as soon as they are woken
    // (no owner waits for a lock with a thread); a transaction without a
    // waking owner stays terminated and fails at its next use.
    transactions_.wait_until_none(filter, std::chrono::steady_clock::now() + std::chrono::seconds(2));
    return n;
}

size_t Cluster::end_transactions() {
    accepting_transactions_.store(false);
    size_t open = transactions_.list().size();
    if (open > 0) {
        log_->info("stopping: {} open transaction(s) get up to {} ms to finish", open, shutdown_timeout_.count());
    }
    size_t n = drain_transactions({}, termination_error(status::kDatabaseUnavailable,
                                                        status::kDatabaseUnavailableDescription));
    if (n > 0) {
        log_->info("stopping: {} transaction(s) still open after db.shutdown_transaction_end_timeout were "
                   "terminated",
                   n);
    }
    return n;
}

// --- authentication (security/user_directory.cpp) ----------------------------------

Outcome<AuthUser> Cluster::authenticate(const std::string& scheme, const std::string& principal,
                                        const std::string& credentials) {
    return users_->authenticate(scheme, principal, credentials);
}

}  // namespace refhost
