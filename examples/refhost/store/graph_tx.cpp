#include "store/graph_tx.hpp"

#include "common/client_error.hpp"
#include "store/value_codec.hpp"

#include <algorithm>
#include <set>

namespace refhost {
namespace {

constexpr int kPage = 512;

Error entity_not_found(const char* kind, int64_t id) {
    return make_error(status::kEntityNotFound,
                      std::string("Unable to load ") + kind + " with id " + std::to_string(id) + ".");
}

// Drops null values: setting a property to null means not having it.
Map without_nulls(Map m) {
    std::erase_if(m, [](const auto& kv) { return kv.second.is_null(); });
    return m;
}

std::vector<std::string> unique_sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

}  // namespace

GraphTx::GraphTx(std::shared_ptr<MemberStore> store, MemberStore::Lease lease, WriteAdmission& admission)
    : store_(std::move(store)), lease_(std::move(lease)), admission_(admission), prefix_(":" + store_->store_id() + ":") {}

GraphTx::~GraphTx() { end(); }

void GraphTx::end() {
    lease_->rollback();
    lock_.release();
}

std::string GraphTx::node_element_id(int64_t id) const { return "4" + prefix_ + std::to_string(id); }
std::string GraphTx::relationship_element_id(int64_t id) const { return "5" + prefix_ + std::to_string(id); }

Error GraphTx::storage_error(const ccdr::Status& st) const {
    switch (st.code()) {
        case CCDR_STOPPED:
            return make_error(status::kDatabaseUnavailable,
                              "The database's store was replaced or dropped during the transaction: " + st.message());
        case CCDR_TIMEOUT:
            return make_error(status::kLockAcquisitionTimeout, st.message());
        default: return client_error(st);
    }
}

Done GraphTx::ensure_read() {
    if (failure_) {
        return *failure_;
    }
    if (auto stop = admission_.interruption()) {
        return *stop;
    }
    if (!lease_->in_transaction()) {
        ccdr::Status st = lease_->begin_read();
        if (!st) {
            return storage_error(st);
        }
    }
    return done();
}

Done GraphTx::ensure_write() {
    if (failure_) {
        return *failure_;
    }
    if (auto stop = admission_.interruption()) {
        return *stop;
    }
    if (lock_.held()) {
        return done();
    }
    auto admitted = admission_.admit_write();
    if (!admitted) {
        return admitted.error();
    }
    lock_ = std::move(admitted.value());
    // Read committed: the snapshot of earlier reads ends; writes see the
    // latest committed state under the write lock.
    lease_->rollback();
    ccdr::Status st = lease_->begin_write();
    if (!st) {
        lock_.release();
        return storage_error(st);
    }
    StoreState s = store_->written_state();
    ids_ = IdHighWater{s.next_node_id, s.next_rel_id};
    return done();
}

Done GraphTx::apply_since(size_t mark) {
    std::span<const uint8_t> all(record_.bytes());
    // The reader wants a whole record: version byte, then the new ops.
    std::vector<uint8_t> piece;
    piece.reserve(1 + all.size() - mark);
    piece.push_back(kChangeRecordVersion);
    piece.insert(piece.end(), all.begin() + static_cast<std::ptrdiff_t>(mark), all.end());
    ccdr::Status st = lease_->apply_record(piece, ids_);
    if (!st) {
        record_.truncate(mark);
        failure_ = make_error(status::kTransactionCommitFailed,
                              "A change could not be applied; the transaction must be rolled back: " + st.message());
        return *failure_;
    }
    return done();
}

Done GraphTx::check_props(const Map& m) const {
    for (const auto& [k, v] : m) {
        if (auto problem = codec::property_value_problem(v)) {
            return make_error(status::kTypeError, *problem + " (property '" + k + "')");
        }
    }
    return done();
}

Outcome<Node> GraphTx::load_node(int64_t id, std::vector<uint8_t> props) {
    Node n;
    n.id = id;
    n.element_id = node_element_id(id);
    if (!codec::decode_map(props, n.properties)) {
        return make_error(status::kStorageDamageDetected,
                          "the properties of node " + std::to_string(id) + " do not decode");
    }
    ccdr::Status st = lease_->node_labels(id, n.labels);
    if (!st) {
        return storage_error(st);
    }
    return n;
}

Relationship GraphTx::to_relationship(StoreConnection::RelRow row) const {
    Relationship r;
    r.id = row.id;
    r.start_id = row.src;
    r.end_id = row.dst;
    r.type = std::move(row.type);
    (void)codec::decode_map(row.props, r.properties);
    r.element_id = relationship_element_id(row.id);
    r.start_element_id = node_element_id(row.src);
    r.end_element_id = node_element_id(row.dst);
    return r;
}

std::optional<Node> GraphTx::node(int64_t id) {
    if (!ensure_read()) {
        return std::nullopt;
    }
    auto props = lease_->node_properties(id);
    if (!props || !props->has_value()) {
        return std::nullopt;
    }
    auto n = load_node(id, std::move(**props));
    if (!n) {
        return std::nullopt;
    }
    return std::move(n.value());
}

std::optional<Relationship> GraphTx::relationship(int64_t id) {
    if (!ensure_read()) {
        return std::nullopt;
    }
    auto row = lease_->relationship_row(id);
    if (!row || !row->has_value()) {
        return std::nullopt;
    }
    return to_relationship(std::move(**row));
}

Done GraphTx::scan_nodes(std::string_view label, const NodeVisitor& visit) {
    Done ok = ensure_read();
    if (!ok) {
        return ok;
    }
    // Page by page, so no statement is live while the visitor runs (it may
    // read or write this same graph).
    std::vector<StoreConnection::NodeRow> page;
    int64_t after = -1;
    for (;;) {
        ccdr::Status st = lease_->node_page(label, after, kPage, page);
        if (!st) {
            return storage_error(st);
        }
        if (page.empty()) {
            return done();
        }
        for (auto& row : page) {
            after = row.id;
            auto n = load_node(row.id, std::move(row.props));
            if (!n) {
                return n.error();
            }
            if (!visit(n.value())) {
                return done();
            }
        }
    }
}

Done GraphTx::scan_relationships(std::string_view type, const RelationshipVisitor& visit) {
    Done ok = ensure_read();
    if (!ok) {
        return ok;
    }
    std::vector<StoreConnection::RelRow> page;
    int64_t after = -1;
    for (;;) {
        ccdr::Status st = lease_->relationship_page(type, after, kPage, page);
        if (!st) {
            return storage_error(st);
        }
        if (page.empty()) {
            return done();
        }
        for (auto& row : page) {
            after = row.id;
            if (!visit(to_relationship(std::move(row)))) {
                return done();
            }
        }
    }
}

Done GraphTx::expand(int64_t node, Direction dir, std::string_view type, const RelationshipVisitor& visit) {
    Done ok = ensure_read();
    if (!ok) {
        return ok;
    }
    std::vector<StoreConnection::RelRow> rows;
    std::vector<StoreConnection::RelRow> in;
    if (dir != Direction::Incoming) {
        ccdr::Status st = lease_->relationships_of(node, true, type, rows);
        if (!st) {
            return storage_error(st);
        }
    }
    if (dir != Direction::Outgoing) {
        ccdr::Status st = lease_->relationships_of(node, false, type, in);
        if (!st) {
            return storage_error(st);
        }
        for (auto& r : in) {
            // A self-loop is found both ways; Both reports it once.
            if (dir == Direction::Both && r.src == node) {
                continue;
            }
            rows.push_back(std::move(r));
        }
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (auto& r : rows) {
        if (!visit(to_relationship(std::move(r)))) {
            break;
        }
    }
    return done();
}

int64_t GraphTx::count_nodes(std::string_view label) {
    if (!ensure_read()) {
        return 0;
    }
    auto n = lease_->count_nodes(label);
    return n ? *n : 0;
}

Outcome<std::optional<Map>> GraphTx::node_props(int64_t id) {
    auto props = lease_->node_properties(id);
    if (!props) {
        return storage_error(props.status());
    }
    if (!props->has_value()) {
        return std::optional<Map>();
    }
    Map m;
    if (!codec::decode_map(**props, m)) {
        return make_error(status::kStorageDamageDetected,
                          "the properties of node " + std::to_string(id) + " do not decode");
    }
    return std::optional<Map>(std::move(m));
}

Outcome<std::optional<Map>> GraphTx::rel_props(int64_t id) {
    auto row = lease_->relationship_row(id);
    if (!row) {
        return storage_error(row.status());
    }
    if (!row->has_value()) {
        return std::optional<Map>();
    }
    Map m;
    if (!codec::decode_map((*row)->props, m)) {
        return make_error(status::kStorageDamageDetected,
                          "the properties of relationship " + std::to_string(id) + " do not decode");
    }
    return std::optional<Map>(std::move(m));
}

Outcome<Node> GraphTx::create_node(std::vector<std::string> labels, Map properties) {
    properties = without_nulls(std::move(properties));
    Done ok = check_props(properties);
    if (!ok) {
        return ok.error();
    }
    labels = unique_sorted(std::move(labels));
    for (const auto& l : labels) {
        if (l.empty()) {
            return make_error(status::kSyntaxError, "A label name cannot be empty.");
        }
    }
    ok = ensure_write();
    if (!ok) {
        return ok.error();
    }
    int64_t id = ids_.next_node_id;
    size_t mark = record_.size();
    record_.create_node(id, labels, properties);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (!ok) {
        return ok.error();
    }
    stats_.nodes_created++;
    stats_.labels_added += static_cast<int64_t>(labels.size());
    stats_.properties_set += static_cast<int64_t>(properties.size());
    Node n;
    n.id = id;
    n.labels = std::move(labels);
    n.properties = std::move(properties);
    n.element_id = node_element_id(id);
    return n;
}

Outcome<Relationship> GraphTx::create_relationship(int64_t start, int64_t end, std::string type, Map properties) {
    properties = without_nulls(std::move(properties));
    Done ok = check_props(properties);
    if (!ok) {
        return ok.error();
    }
    if (type.empty()) {
        return make_error(status::kSyntaxError, "A relationship type cannot be empty.");
    }
    ok = ensure_write();
    if (!ok) {
        return ok.error();
    }
    for (int64_t n : {start, end}) {
        auto p = lease_->node_properties(n);
        if (!p) {
            return storage_error(p.status());
        }
        if (!p->has_value()) {
            return entity_not_found("NODE", n);
        }
    }
    int64_t id = ids_.next_rel_id;
    size_t mark = record_.size();
    record_.create_relationship(id, type, start, end, properties);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (!ok) {
        return ok.error();
    }
    stats_.relationships_created++;
    stats_.properties_set += static_cast<int64_t>(properties.size());
    Relationship r;
    r.id = id;
    r.start_id = start;
    r.end_id = end;
    r.type = std::move(type);
    r.properties = std::move(properties);
    r.element_id = relationship_element_id(id);
    r.start_element_id = node_element_id(start);
    r.end_element_id = node_element_id(end);
    return r;
}

Done GraphTx::set_node_property(int64_t id, const std::string& key, const Value& value) {
    return set_property(Entity::kNode, id, key, value);
}

Done GraphTx::set_relationship_property(int64_t id, const std::string& key, const Value& value) {
    return set_property(Entity::kRelationship, id, key, value);
}

Done GraphTx::replace_node_properties(int64_t id, Map properties) {
    return replace_properties(Entity::kNode, id, std::move(properties));
}

Done GraphTx::replace_relationship_properties(int64_t id, Map properties) {
    return replace_properties(Entity::kRelationship, id, std::move(properties));
}

Outcome<std::optional<Map>> GraphTx::entity_props(Entity entity, int64_t id) {
    return entity == Entity::kNode ? node_props(id) : rel_props(id);
}

Done GraphTx::set_property(Entity entity, int64_t id, const std::string& key, const Value& value) {
    if (auto problem = codec::property_value_problem(value)) {
        return make_error(status::kTypeError, *problem + " (property '" + key + "')");
    }
    Done ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto props = entity_props(entity, id);
    if (!props) {
        return props.error();
    }
    if (!props->has_value()) {
        return entity_not_found(entity == Entity::kNode ? "NODE" : "RELATIONSHIP", id);
    }
    if (value.is_null() && (*props)->count(key) == 0) {
        return done();
    }
    size_t mark = record_.size();
    if (entity == Entity::kNode) {
        record_.set_node_property(id, key, value);
    } else {
        record_.set_relationship_property(id, key, value);
    }
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.properties_set++;
    }
    return ok;
}

Done GraphTx::replace_properties(Entity entity, int64_t id, Map properties) {
    properties = without_nulls(std::move(properties));
    Done ok = check_props(properties);
    if (!ok) {
        return ok;
    }
    ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto old = entity_props(entity, id);
    if (!old) {
        return old.error();
    }
    if (!old->has_value()) {
        return entity_not_found(entity == Entity::kNode ? "NODE" : "RELATIONSHIP", id);
    }
    int64_t removed = 0;
    for (const auto& [k, v] : **old) {
        removed += properties.count(k) == 0 ? 1 : 0;
    }
    size_t mark = record_.size();
    if (entity == Entity::kNode) {
        record_.replace_node_properties(id, properties);
    } else {
        record_.replace_relationship_properties(id, properties);
    }
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.properties_set += static_cast<int64_t>(properties.size()) + removed;
    }
    return ok;
}

Done GraphTx::add_labels(int64_t id, const std::vector<std::string>& labels) {
    Done ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto props = lease_->node_properties(id);
    if (!props) {
        return storage_error(props.status());
    }
    if (!props->has_value()) {
        return entity_not_found("NODE", id);
    }
    std::vector<std::string> have;
    ccdr::Status st = lease_->node_labels(id, have);
    if (!st) {
        return storage_error(st);
    }
    std::vector<std::string> fresh;
    for (const auto& l : unique_sorted(labels)) {
        if (l.empty()) {
            return make_error(status::kSyntaxError, "A label name cannot be empty.");
        }
        if (std::find(have.begin(), have.end(), l) == have.end()) {
            fresh.push_back(l);
        }
    }
    if (fresh.empty()) {
        return done();
    }
    size_t mark = record_.size();
    record_.add_labels(id, fresh);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.labels_added += static_cast<int64_t>(fresh.size());
    }
    return ok;
}

Done GraphTx::remove_labels(int64_t id, const std::vector<std::string>& labels) {
    Done ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto props = lease_->node_properties(id);
    if (!props) {
        return storage_error(props.status());
    }
    if (!props->has_value()) {
        return entity_not_found("NODE", id);
    }
    std::vector<std::string> have;
    ccdr::Status st = lease_->node_labels(id, have);
    if (!st) {
        return storage_error(st);
    }
    std::vector<std::string> gone;
    for (const auto& l : unique_sorted(labels)) {
        if (std::find(have.begin(), have.end(), l) != have.end()) {
            gone.push_back(l);
        }
    }
    if (gone.empty()) {
        return done();
    }
    size_t mark = record_.size();
    record_.remove_labels(id, gone);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.labels_removed += static_cast<int64_t>(gone.size());
    }
    return ok;
}

Done GraphTx::delete_node(int64_t id, bool detach) {
    Done ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto props = lease_->node_properties(id);
    if (!props) {
        return storage_error(props.status());
    }
    if (!props->has_value()) {
        return done();  // already deleted (in this transaction or before): nothing to do
    }
    std::vector<StoreConnection::RelRow> out, in;
    ccdr::Status st = lease_->relationships_of(id, true, "", out);
    if (st) {
        st = lease_->relationships_of(id, false, "", in);
    }
    if (!st) {
        return storage_error(st);
    }
    std::set<int64_t> rels;
    for (const auto& r : out) {
        rels.insert(r.id);
    }
    for (const auto& r : in) {
        rels.insert(r.id);
    }
    if (!rels.empty() && !detach) {
        return make_error(status::kConstraintValidationFailed,
                          "Cannot delete node<" + std::to_string(id) +
                              ">, because it still has relationships. To delete this node, you must first delete "
                              "its relationships.");
    }
    size_t mark = record_.size();
    for (int64_t r : rels) {
        record_.delete_relationship(r);
    }
    record_.delete_node(id);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.relationships_deleted += static_cast<int64_t>(rels.size());
        stats_.nodes_deleted++;
    }
    return ok;
}

Done GraphTx::delete_relationship(int64_t id) {
    Done ok = ensure_write();
    if (!ok) {
        return ok;
    }
    auto row = lease_->relationship_row(id);
    if (!row) {
        return storage_error(row.status());
    }
    if (!row->has_value()) {
        return done();
    }
    size_t mark = record_.size();
    record_.delete_relationship(id);
    ok = apply_since(mark == 0 ? 1 : mark);
    if (ok) {
        stats_.relationships_deleted++;
    }
    return ok;
}

}  // namespace refhost
