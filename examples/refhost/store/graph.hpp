// examples/refhost/store/graph.hpp: the graph a transaction sees: the
// contract between the Cypher executor (which plans and evaluates) and the
// store (which keeps nodes, relationships and the transaction log in SQLite).
// Every mutation is recorded by the store in the transaction's logical change
// record (the payload replicated through the ccdr ABI).
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refhost {

enum class Direction { Outgoing, Incoming, Both };

// Visitors return false to stop the scan.
using NodeVisitor = std::function<bool(const Node&)>;
using RelationshipVisitor = std::function<bool(const Relationship&)>;

class GraphReader {
public:
    virtual ~GraphReader() = default;
    virtual std::optional<Node> node(int64_t id) = 0;
    virtual std::optional<Relationship> relationship(int64_t id) = 0;
    // Nodes carrying `label` (every node when empty), in id order.
    virtual Done scan_nodes(std::string_view label, const NodeVisitor& visit) = 0;
    // Relationships of `type` (every type when empty), in id order.
    virtual Done scan_relationships(std::string_view type, const RelationshipVisitor& visit) = 0;
    // Relationships touching `node` in `dir` of `type` (any when empty).
    virtual Done expand(int64_t node, Direction dir, std::string_view type, const RelationshipVisitor& visit) = 0;
    virtual int64_t count_nodes(std::string_view label) = 0;
};

class GraphWriter : public GraphReader {
public:
    // The first mutation of a transaction asks the DBMS whether this member
    // may write (the plugin's before_commit veto, then writer/leader checks);
    // its refusal comes back from the mutation unchanged.
    virtual Outcome<Node> create_node(std::vector<std::string> labels, Map properties) = 0;
    virtual Outcome<Relationship> create_relationship(int64_t start, int64_t end, std::string type,
                                                      Map properties) = 0;
    // A null value removes the property.
    virtual Done set_node_property(int64_t id, const std::string& key, const Value& value) = 0;
    virtual Done set_relationship_property(int64_t id, const std::string& key, const Value& value) = 0;
    // Replaces every property (SET n = {...}).
    virtual Done replace_node_properties(int64_t id, Map properties) = 0;
    virtual Done replace_relationship_properties(int64_t id, Map properties) = 0;
    virtual Done add_labels(int64_t id, const std::vector<std::string>& labels) = 0;
    virtual Done remove_labels(int64_t id, const std::vector<std::string>& labels) = 0;
    // Without `detach`, a node that still has relationships is refused with
    // Neo.ClientError.Schema.ConstraintValidationFailed.
    virtual Done delete_node(int64_t id, bool detach) = 0;
    virtual Done delete_relationship(int64_t id) = 0;
    // Counters for the query summary's `stats`.
    struct Stats {
        int64_t nodes_created = 0, nodes_deleted = 0, relationships_created = 0, relationships_deleted = 0,
                properties_set = 0, labels_added = 0, labels_removed = 0;
    };
    virtual Stats stats() const = 0;
    virtual bool has_writes() const = 0;
};

}  // namespace refhost
