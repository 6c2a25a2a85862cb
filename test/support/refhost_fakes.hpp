// test/support/refhost_fakes.hpp: in-memory stand-ins for the refhost's
// store and DBMS, for testing the Cypher engine without SQLite or a cluster:
// MemoryGraph (a GraphWriter), MemoryTransaction, and FakeDbms (a DbmsApi
// that records administration calls and serves canned SHOW/routing rows).
#pragma once

#include "dbms/dbms_api.hpp"
#include "store/graph.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace refhost::test {

class MemoryGraph : public GraphWriter {
public:
    // When set, every mutation is refused with this error (the plugin's veto,
    // NotALeader, ...), as the real store does.
    std::optional<Error> refuse_writes;

    std::optional<Node> node(int64_t id) override;
    std::optional<Relationship> relationship(int64_t id) override;
    Done scan_nodes(std::string_view label, const NodeVisitor& visit) override;
    Done scan_relationships(std::string_view type, const RelationshipVisitor& visit) override;
    Done expand(int64_t node, Direction dir, std::string_view type, const RelationshipVisitor& visit) override;
    int64_t count_nodes(std::string_view label) override;

    Outcome<Node> create_node(std::vector<std::string> labels, Map properties) override;
    Outcome<Relationship> create_relationship(int64_t start, int64_t end, std::string type, Map properties) override;
    Done set_node_property(int64_t id, const std::string& key, const Value& value) override;
    Done set_relationship_property(int64_t id, const std::string& key, const Value& value) override;
    Done replace_node_properties(int64_t id, Map properties) override;
    Done replace_relationship_properties(int64_t id, Map properties) override;
    Done add_labels(int64_t id, const std::vector<std::string>& labels) override;
    Done remove_labels(int64_t id, const std::vector<std::string>& labels) override;
    Done delete_node(int64_t id, bool detach) override;
    Done delete_relationship(int64_t id) override;
    Stats stats() const override { return stats_; }
    bool has_writes() const override { return writes_; }

    size_t node_count() const { return nodes_.size(); }
    size_t relationship_count() const { return rels_.size(); }
    int64_t mutations() const { return mutations_; }

private:
    Done may_write();
    std::map<int64_t, Node> nodes_;
    std::map<int64_t, Relationship> rels_;
    int64_t next_node_ = 0;
    int64_t next_rel_ = 0;
    Stats stats_;
    bool writes_ = false;
    int64_t mutations_ = 0;
};

class MemoryTransaction : public Transaction {
public:
    MemoryTransaction(MemoryGraph& g, std::string database, AccessMode mode)
        : graph_(g), database_(std::move(database)), mode_(mode) {}
    const std::string& database() const override { return database_; }
    AccessMode mode() const override { return mode_; }
    GraphWriter& graph() override { return graph_; }
    Outcome<std::string> commit() override { return database_ + ":1"; }
    void rollback() override {}
    const std::string& id() const override { return id_; }
    Outcome<Reservation> reserve_write() override { return Reservation::Ready; }
    std::optional<Error> termination() const override { return std::nullopt; }
    bool holds_write_lock() const override { return false; }
    void query_started(const std::string&, const Map&) override {}
    void query_finished() override {}

private:
    MemoryGraph& graph_;
    std::string database_;
    AccessMode mode_;
    std::string id_ = database_ + "-transaction-1";
};

class FakeDbms : public DbmsApi {
public:
    FakeDbms();

    // What the engine asked for, one line per administration call:
    // "create foo if_not_exists=0 topology=3/1 wait=1", "drop foo if_exists=1 wait=0", ...
    std::vector<std::string> calls;
    std::vector<DatabaseRow> databases;  // SHOW DATABASES rows
    std::vector<ServerRow> servers;
    std::map<std::string, RoutingTable> routing;  // by database ("" is the default)
    std::vector<ProcedureInfo> procedures;
    // Plugin procedure calls: name -> (args) -> rows; the columns are parsed
    // from the registered signature.
    std::map<std::string, std::function<Outcome<std::vector<List>>(const List&)>> procedure_bodies;
    std::vector<std::string> procedure_calls;  // "name(args...)"
    MemoryGraph graph;
    std::vector<TransactionRow> transactions;      // SHOW TRANSACTIONS rows (every server)
    std::vector<std::string> terminated;           // ids TERMINATE TRANSACTIONS ended

    size_t server_count() const override { return 3; }
    std::string server_bolt_address(size_t server) const override;
    std::string server_id(size_t server) const override { return "server-" + std::to_string(server); }
    std::string default_database() const override { return "neo4j"; }
    std::string product_version() const override { return "Neo4j/2026.03.0-refhost"; }
    bool auth_enabled() const override { return true; }
    Outcome<AuthUser> authenticate(const std::string& scheme, const std::string& principal,
                                   const std::string& credentials) override;
    Outcome<std::unique_ptr<Transaction>> begin(size_t server, const std::string& database, AccessMode mode,
                                                const AuthUser& user, const std::vector<std::string>& bookmarks,
                                                std::chrono::milliseconds bookmark_timeout,
                                                const TxOptions& options = TxOptions{}) override;
    // The rows of `transactions` the user may see (an admin all, others their own).
    std::vector<TransactionRow> show_transactions(size_t server, const std::vector<std::string>& ids,
                                                  const AuthUser& user) override;
    std::vector<TerminationRow> terminate_transactions(size_t server, const std::vector<std::string>& ids,
                                                       const AuthUser& user) override;
    Done create_database(const std::string& name, bool if_not_exists, std::optional<TopologyRequest> topology,
                         bool wait) override;
    Done drop_database(const std::string& name, bool if_exists, bool wait) override;
    Done start_database(const std::string& name, bool wait) override;
    Done stop_database(const std::string& name, bool wait) override;
    Done alter_database(const std::string& name, bool if_exists, const AlterDatabaseRequest& change,
                        bool wait) override;
    Outcome<std::vector<DatabaseRow>> show_databases(size_t server, const std::optional<std::string>& name,
                                                     const AuthUser& user) override;
    std::vector<ServerRow> show_servers() override { return servers; }
    Outcome<RoutingTable> routing_table(size_t server, const std::string& database) override;
    std::vector<ProcedureInfo> plugin_procedures(size_t) override { return procedures; }
    Outcome<std::vector<std::string>> call_plugin_procedure(size_t server, const std::string& name, const List& args,
                                                            const AuthUser& user,
                                                            const std::string& session_database,
                                                            const RowSink& sink) override;

    // One row per member (server 0..members-1) of a standard database.
    void add_database(const std::string& name, size_t primaries, size_t secondaries, const std::string& type);
};

}  // namespace refhost::test
