// examples/refhost/dbms/privileged_graph.hpp: the graph of a transaction as
// its user's privileges let it be seen and changed (security/privileges.hpp).
//
// It wraps the transaction's own graph. Without the write privilege every
// mutation is refused here, before the store is touched and so before any
// other write check (the READ access mode, a replica's read-only veto, the
// writer check): Neo.ClientError.Security.Forbidden with Neo4j's message for
// that operation, e.g. "Create node with labels 'Person' on database 'neo4j'
// is not allowed for user 'alice' with roles [PUBLIC, reader]." Without the
// read privilege (a user with PUBLIC only, on the default database) reads
// see an empty graph, as Neo4j hides what a user may not traverse.
#pragma once

#include "security/privileges.hpp"
#include "store/graph.hpp"

#include <string>

namespace refhost {

class PrivilegedGraph final : public GraphWriter {
public:
    // `inner` must outlive this graph.
    PrivilegedGraph(GraphWriter& inner, security::Privileges privileges, std::string database,
                    std::string user_description)
        : inner_(inner), privileges_(privileges), database_(std::move(database)),
          user_(std::move(user_description)) {}

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
    Stats stats() const override { return inner_.stats(); }
    bool has_writes() const override { return inner_.has_writes(); }

private:
    // "<what> on database 'db' is not allowed for user 'u' with roles [...]."
    Error denied(const std::string& what) const;
    // The property key a replacement touches first (new or removed), for
    // the message; empty when it touches none.
    static std::string first_key(const Map& now, const Map& next);

    GraphWriter& inner_;
    security::Privileges privileges_;
    std::string database_;
    std::string user_;
};

}  // namespace refhost
