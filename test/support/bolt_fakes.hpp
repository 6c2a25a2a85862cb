// test/support/bolt_fakes.hpp: a fake DBMS and a fake query engine for
// testing the Bolt server without the refhost core and Cypher engine.
//
// The fake engine is no Cypher: it understands a handful of commands that
// exercise every path of the Bolt layer:
//   RETURN $name          one row, column `name`, the parameter's value
//   RETURN <integer>      one row, column `x`
//   ROWS <n>              n rows, column `i` = 1..n
//   CREATE                writes a node (AccessMode in a READ transaction;
//                         NotALeader from the fake graph on a non-writer);
//                         it updates the graph, so the session first takes
//                         the fake DBMS's write lock (FIFO, like a member's)
//   GRAPH                 one row holding a node, a relationship and a path
//   SLEEP <ms>            sleeps, then one row
//   FAIL <code> <message> fails with that Neo4j code
//   SHOW DATABASES        administration: needs database system and no tx
//   CREATE DATABASE <n>   administration, admin only
// Anything else is a SyntaxError.
#pragma once

#include "cypher/engine.hpp"
#include "dbms/dbms_api.hpp"

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace refhost::testing {

class FakeDbms;

class FakeGraph final : public GraphWriter {
public:
    FakeGraph(FakeDbms& dbms, size_t server, std::string database) : dbms_(dbms), server_(server), db_(std::move(database)) {}
    std::optional<Node> node(int64_t id) override;
    std::optional<Relationship> relationship(int64_t) override { return std::nullopt; }
    Done scan_nodes(std::string_view, const NodeVisitor&) override { return done(); }
    Done scan_relationships(std::string_view, const RelationshipVisitor&) override { return done(); }
    Done expand(int64_t, Direction, std::string_view, const RelationshipVisitor&) override { return done(); }
    int64_t count_nodes(std::string_view) override { return static_cast<int64_t>(created_.size()); }
    Outcome<Node> create_node(std::vector<std::string> labels, Map properties) override;
    Outcome<Relationship> create_relationship(int64_t, int64_t, std::string, Map) override;
    Done set_node_property(int64_t, const std::string&, const Value&) override;
    Done set_relationship_property(int64_t, const std::string&, const Value&) override;
    Done replace_node_properties(int64_t, Map) override;
    Done replace_relationship_properties(int64_t, Map) override;
    Done add_labels(int64_t, const std::vector<std::string>&) override;
    Done remove_labels(int64_t, const std::vector<std::string>&) override;
    Done delete_node(int64_t, bool) override;
    Done delete_relationship(int64_t) override;
    Stats stats() const override { return stats_; }
    bool has_writes() const override { return !created_.empty(); }

private:
    Done may_write();
    FakeDbms& dbms_;
    size_t server_;
    std::string db_;
    std::vector<Node> created_;
    Stats stats_;
};

class FakeTransaction final : public Transaction {
public:
    FakeTransaction(FakeDbms& dbms, size_t server, std::string database, AccessMode mode, std::function<void()> wake)
        : dbms_(dbms), db_(std::move(database)), mode_(mode), graph_(dbms, server, db_), wake_(std::move(wake)) {}
    ~FakeTransaction() override;
    const std::string& database() const override { return db_; }
    AccessMode mode() const override { return mode_; }
    GraphWriter& graph() override { return graph_; }
    Outcome<std::string> commit() override;
    void rollback() override;
    const std::string& id() const override { return id_; }
    Outcome<Reservation> reserve_write() override;
    std::optional<Error> termination() const override { return std::nullopt; }
    bool holds_write_lock() const override;
    void query_started(const std::string&, const Map&) override {}
    void query_finished() override {}
    void wake() {
        if (wake_) {
            wake_();
        }
    }

private:
    FakeDbms& dbms_;
    std::string db_;
    AccessMode mode_;
    FakeGraph graph_;
    std::function<void()> wake_;
    std::string id_ = db_ + "-transaction";
    bool finished_ = false;
};

class FakeDbms final : public DbmsApi {
public:
    explicit FakeDbms(size_t servers = 3) : servers_(servers) {}

    size_t server_count() const override { return servers_; }
    std::string server_bolt_address(size_t) const override { return bolt_address; }
    std::string server_id(size_t server) const override { return "server-" + std::to_string(server + 1); }
    std::string default_database() const override { return "neo4j"; }
    std::string product_version() const override { return "Neo4j/2026.03.0-refhost-fake"; }
    bool auth_enabled() const override { return auth_enabled_; }
    Outcome<AuthUser> authenticate(const std::string& scheme, const std::string& principal,
                                   const std::string& credentials) override;
    Outcome<std::unique_ptr<Transaction>> begin(size_t server, const std::string& database, AccessMode mode,
                                                const AuthUser& user, const std::vector<std::string>& bookmarks,
                                                std::chrono::milliseconds bookmark_timeout,
                                                const TxOptions& options = TxOptions{}) override;
    // The fake tracks no transactions: nothing to show, nothing found.
    std::vector<TransactionRow> show_transactions(size_t, const std::vector<std::string>&, const AuthUser&) override {
        return {};
    }
    std::vector<TerminationRow> terminate_transactions(size_t, const std::vector<std::string>& ids,
                                                       const AuthUser&) override {
        std::vector<TerminationRow> rows;
        for (const auto& id : ids) {
            rows.push_back(TerminationRow{id, std::nullopt, "Transaction not found."});
        }
        return rows;
    }
    Done create_database(const std::string& name, bool, std::optional<TopologyRequest>, bool) override;
    Done drop_database(const std::string&, bool, bool) override { return done(); }
    Done start_database(const std::string&, bool) override { return done(); }
    Done stop_database(const std::string&, bool) override { return done(); }
    Done alter_database(const std::string&, bool, const AlterDatabaseRequest&, bool) override { return done(); }
    Outcome<std::vector<DatabaseRow>> show_databases(size_t server, const std::optional<std::string>& name,
                                                     const AuthUser& user) override;
    std::vector<ServerRow> show_servers() override { return {}; }
    Outcome<RoutingTable> routing_table(size_t server, const std::string& database) override;
    std::vector<ProcedureInfo> plugin_procedures(size_t) override { return {}; }
    Outcome<std::vector<std::string>> call_plugin_procedure(size_t, const std::string& name, const List&,
                                                            const AuthUser&, const std::string&,
                                                            const RowSink&) override;

    // --- test controls and observations (thread-safe) ---
    std::string bolt_address = "127.0.0.1:0";  // port 0: the Bolt server binds a free port
    // The members' Bolt addresses in routing tables (once the servers are
    // bound); 127.0.0.1:7687.. when empty. Member 0 writes.
    std::vector<std::string> member_addresses;
    std::atomic<bool> auth_enabled_{true};
    size_t writer_server = 0;  // the member that may write; others get NotALeader
    struct Observed {
        std::vector<std::string> last_bookmarks;
        std::string last_begin_database;
        AccessMode last_begin_mode = AccessMode::Write;
        int begins = 0, commits = 0, rollbacks = 0;
        std::set<std::string> databases{"neo4j", "system", "foo", "replica"};
    };
    Observed observed() const {
        std::lock_guard<std::mutex> l(mu_);
        return observed_;
    }
    int64_t next_node_id() { return node_ids_++; }
    void count_commit() {
        std::lock_guard<std::mutex> l(mu_);
        ++observed_.commits;
    }
    void count_rollback() {
        std::lock_guard<std::mutex> l(mu_);
        ++observed_.rollbacks;
    }
    int64_t next_tx_id() { return ++tx_ids_; }

    // The write lock: one holder, the others queued first come, first
    // served; release() hands it to the next and wakes it.
    bool lock_for(FakeTransaction* tx);  // held now (or queued: false)
    bool lock_held_by(const FakeTransaction* tx) const;
    void release_lock(FakeTransaction* tx);  // or leave the queue
    size_t lock_waiters() const;
    int lock_grants() const;  // how many times the lock was taken or handed over

private:
    mutable std::mutex lock_mu_;
    FakeTransaction* lock_holder_ = nullptr;
    std::deque<FakeTransaction*> lock_queue_;
    int lock_grants_ = 0;
    size_t servers_;
    mutable std::mutex mu_;
    Observed observed_;
    std::atomic<int64_t> node_ids_{0};
    std::atomic<int64_t> tx_ids_{0};
};

class FakeEngine final : public cypher::Engine {
public:
    Outcome<cypher::QueryResult> run(std::string_view query, const Map& parameters, cypher::QueryContext& ctx) override;
    bool updates_graph(std::string_view query) override;

    // The context of the last run, for assertions.
    struct Seen {
        std::string database;
        AccessMode mode = AccessMode::Write;
        bool had_tx = false;
        size_t server = 0;
        int runs = 0;
    };
    Seen seen() const {
        std::lock_guard<std::mutex> l(mu_);
        return seen_;
    }

private:
    mutable std::mutex mu_;
    Seen seen_;
};

// A node, a relationship between two nodes and the path through them.
Node sample_node(int64_t id);
Relationship sample_relationship();
Path sample_path();

}  // namespace refhost::testing
