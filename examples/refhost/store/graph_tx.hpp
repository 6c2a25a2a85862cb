// examples/refhost/store/graph_tx.hpp: the graph one transaction sees, over
// one pooled connection of a member's store. Reads run in a SQLite read
// transaction opened at the first read. The first mutation asks the DBMS for
// admission (access mode, the plugin's veto, the writer role) and takes the
// store's write lock; the read snapshot then ends and a write transaction
// begins (read committed, as Neo4j). Every mutation is written to the change
// record first and then applied from it, through the code that applies
// replicated records on other members.
#pragma once

#include "store/change_record.hpp"
#include "store/graph.hpp"
#include "store/member_store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace refhost {

class WriteAdmission {
public:
    virtual ~WriteAdmission() = default;
    // May this transaction write? On success the store's write lock.
    virtual Outcome<MemberStore::WriteLock> admit_write() = 0;
    // Set once the transaction was terminated (from another thread): every
    // store access of the query running now fails with it.
    virtual std::optional<Error> interruption() const = 0;
};

class GraphTx final : public GraphWriter {
public:
    GraphTx(std::shared_ptr<MemberStore> store, MemberStore::Lease lease, WriteAdmission& admission);
    ~GraphTx() override;

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
    bool has_writes() const override { return !record_.empty(); }

    // --- for the transaction's commit ---
    bool writing() const { return lock_.held(); }
    // A mutation failed half-way: the transaction can only roll back.
    const std::optional<Error>& failure() const { return failure_; }
    MemberStore& store() { return *store_; }
    const std::shared_ptr<MemberStore>& store_ptr() const { return store_; }
    MemberStore::WriteLock& write_lock() { return lock_; }
    StoreConnection& connection() { return *lease_; }
    const ChangeRecordWriter& record() const { return record_; }
    const IdHighWater& ids() const { return ids_; }
    // Rolls back whatever is open and releases the write lock.
    void end();

    std::string node_element_id(int64_t id) const;
    std::string relationship_element_id(int64_t id) const;

private:
    Done ensure_read();
    Done ensure_write();
    // Applies the ops appended since `mark`; on failure the transaction is
    // poisoned (the SQLite transaction may hold part of the op).
    Done apply_since(size_t mark);
    Error storage_error(const ccdr::Status& st) const;
    Outcome<Node> load_node(int64_t id, std::vector<uint8_t> props);
    Relationship to_relationship(StoreConnection::RelRow row) const;
    Outcome<std::optional<Map>> node_props(int64_t id);
    Outcome<std::optional<Map>> rel_props(int64_t id);
    // Setting and replacing properties is the same for nodes and
    // relationships but for where the old ones are read and which change op
    // is recorded.
    enum class Entity { kNode, kRelationship };
    Outcome<std::optional<Map>> entity_props(Entity entity, int64_t id);
    Done set_property(Entity entity, int64_t id, const std::string& key, const Value& value);
    Done replace_properties(Entity entity, int64_t id, Map properties);
    Done check_props(const Map& m) const;

    std::shared_ptr<MemberStore> store_;
    MemberStore::Lease lease_;
    WriteAdmission& admission_;
    MemberStore::WriteLock lock_;
    ChangeRecordWriter record_;
    IdHighWater ids_;
    Stats stats_;
    std::optional<Error> failure_;
    std::string prefix_;  // ":<store-id>:"
};

}  // namespace refhost
