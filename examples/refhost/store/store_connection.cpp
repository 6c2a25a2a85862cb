#include "store/store_connection.hpp"

#include "store/label_migration.hpp"
#include "store/node_label_set.hpp"
#include "store/value_codec.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace refhost {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  store_id TEXT NOT NULL,
  last_tx INTEGER NOT NULL,
  last_time INTEGER NOT NULL,
  oldest_retained INTEGER NOT NULL,
  next_node INTEGER NOT NULL,
  next_rel INTEGER NOT NULL);
-- nodes and nodes_by_label: kNodeTablesSql (label_migration.hpp).
CREATE TABLE rels(id INTEGER PRIMARY KEY, type TEXT NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL,
                  props BLOB NOT NULL);
CREATE INDEX rels_by_src ON rels(src, type);
CREATE INDEX rels_by_dst ON rels(dst, type);
CREATE INDEX rels_by_type ON rels(type, id);
-- The transaction log is not here: it is the segment files beside the store
-- (segment_log.hpp). Stores made before that have a txlog table, moved into
-- segments when they are opened (member_recovery.cpp).
)sql";

}  // namespace

ccdr::Status StoreConnection::create_schema(sql::Connection& db, const std::string& store_id) {
    ccdr::Status st = db.exec("BEGIN IMMEDIATE");
    if (!st) {
        return st;
    }
    st = db.exec(kSchema);
    if (st) {
        st = db.exec(kNodeTablesSql);
    }
    if (st) {
        auto ins = db.prepare(
            "INSERT INTO state(id, format, store_id, last_tx, last_time, oldest_retained, next_node, next_rel) "
            "VALUES (1, ?, ?, 0, 0, 1, 0, 0)");
        if (!ins) {
            st = ins.status();
        } else {
            ins->bind(1, int64_t{kFormat});
            ins->bind_text(2, store_id);
            st = sql::step_done(db, *ins, "creating the store state");
        }
    }
    if (!st) {
        (void)db.exec("ROLLBACK");
        return st;
    }
    return db.exec("COMMIT");
}

ccdr::Result<std::unique_ptr<StoreConnection>> StoreConnection::open(const std::string& path, bool synchronous_full,
                                                                     bool track_fingerprint) {
    auto db = sql::Connection::open(path, false);
    if (!db) {
        return db.status();
    }
    std::unique_ptr<StoreConnection> c(new StoreConnection());
    c->db_ = std::move(db.value());
    ccdr::Status st = c->db_.exec(std::string("PRAGMA busy_timeout=10000; PRAGMA foreign_keys=OFF; "
                                              "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768; "
                                              "PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=8192; PRAGMA synchronous=") +
                                  (synchronous_full ? "FULL" : "NORMAL"));
    if (!st) {
        return st;
    }
    // Before anything reads nodes: the fingerprint pass below and every
    // prepared statement need format 2.
    st = move_labels_into_node_rows(c->db_);
    if (!st) {
        return st;
    }
    c->track_fp_ = track_fingerprint;
    st = ensure_running_fingerprint(c->db_, track_fingerprint);
    if (!st) {
        return st;
    }
    st = c->prepare_all();
    if (!st) {
        return st;
    }
    return c;
}

ccdr::Status StoreConnection::prepare_all() {
    ccdr::Status failed;
    auto p = [&](sql::Statement& s, const char* text) {
        if (!failed) {
            return;
        }
        auto r = db_.prepare(text);
        if (!r) {
            failed = r.status();
            return;
        }
        s = std::move(r.value());
    };
    p(s_.begin_read, "BEGIN");
    p(s_.begin_write, "BEGIN IMMEDIATE");
    p(s_.commit, "COMMIT");
    p(s_.rollback, "ROLLBACK");
    p(s_.read_state,
      "SELECT store_id, last_tx, last_time, oldest_retained, next_node, next_rel FROM state WHERE id = 1");
    p(s_.write_state,
      "UPDATE state SET last_tx = ?, last_time = ?, oldest_retained = ?, next_node = ?, next_rel = ? WHERE id = 1");
    p(s_.fp_now, "SELECT tx, value FROM running_fingerprint WHERE id = 1");
    p(s_.fp_write, "UPDATE running_fingerprint SET tx = ?1, value = ?2 WHERE id = 1");
    p(s_.delete_node_returning, "DELETE FROM nodes WHERE id = ? RETURNING labels, props");
    p(s_.delete_rel_returning, "DELETE FROM rels WHERE id = ? RETURNING type, src, dst, props");
    p(s_.insert_node, "INSERT INTO nodes(id, labels, props) VALUES (?, ?, ?)");
    p(s_.insert_label, "INSERT INTO nodes_by_label(label, node) VALUES (?, ?)");
    p(s_.delete_label, "DELETE FROM nodes_by_label WHERE label = ? AND node = ?");
    p(s_.update_node_labels, "UPDATE nodes SET labels = ? WHERE id = ?");
    p(s_.node_props, "SELECT props FROM nodes WHERE id = ?");
    p(s_.update_node_props, "UPDATE nodes SET props = ? WHERE id = ?");
    p(s_.node_exists, "SELECT 1 FROM nodes WHERE id = ?");
    p(s_.node_has_rels,
      "SELECT EXISTS (SELECT 1 FROM rels WHERE src = ?1) OR EXISTS (SELECT 1 FROM rels WHERE dst = ?1)");
    p(s_.insert_rel, "INSERT INTO rels(id, type, src, dst, props) VALUES (?, ?, ?, ?, ?)");
    p(s_.rel_row, "SELECT id, type, src, dst, props FROM rels WHERE id = ?");
    p(s_.rel_props, "SELECT props FROM rels WHERE id = ?");
    p(s_.update_rel_props, "UPDATE rels SET props = ? WHERE id = ?");
    p(s_.delete_rel, "DELETE FROM rels WHERE id = ?");
    p(s_.node_labels, "SELECT labels FROM nodes WHERE id = ?");
    p(s_.node_page_all, "SELECT id, props FROM nodes WHERE id > ? ORDER BY id LIMIT ?");
    p(s_.node_page_label,
      "SELECT n.id, n.props FROM nodes_by_label l JOIN nodes n ON n.id = l.node WHERE l.label = ? AND l.node > ? "
      "ORDER BY l.node LIMIT ?");
    p(s_.rel_page_all, "SELECT id, type, src, dst, props FROM rels WHERE id > ? ORDER BY id LIMIT ?");
    p(s_.rel_page_type,
      "SELECT id, type, src, dst, props FROM rels WHERE type = ? AND id > ? ORDER BY id LIMIT ?");
    p(s_.rels_out_all, "SELECT id, type, src, dst, props FROM rels WHERE src = ? ORDER BY id");
    p(s_.rels_out_type, "SELECT id, type, src, dst, props FROM rels WHERE src = ? AND type = ? ORDER BY id");
    p(s_.rels_in_all, "SELECT id, type, src, dst, props FROM rels WHERE dst = ? ORDER BY id");
    p(s_.rels_in_type, "SELECT id, type, src, dst, props FROM rels WHERE dst = ? AND type = ? ORDER BY id");
    p(s_.count_all, "SELECT count(*) FROM nodes");
    p(s_.count_label, "SELECT count(*) FROM nodes_by_label WHERE label = ?");
    std::string rows = "INSERT INTO nodes_by_label(label, node) VALUES (?, ?)";
    for (size_t i = 1; i < kLabelRowsPerInsert; ++i) {
        rows += ", (?, ?)";
    }
    p(s_.insert_label_rows, rows.c_str());
    return failed;
}

ccdr::Status StoreConnection::begin_read() { return sql::step_done(db_, s_.begin_read, "BEGIN"); }
ccdr::Status StoreConnection::begin_write() {
    delta_ = {};
    appended_value_.reset();
    pending_entries_.clear();
    return sql::step_done(db_, s_.begin_write, "BEGIN IMMEDIATE");
}
ccdr::Status StoreConnection::commit() {
    ccdr::Status st = flush_label_index();
    if (st) {
        st = write_fingerprint();
    }
    appended_value_.reset();
    if (!st) {
        return st;
    }
    return sql::step_done(db_, s_.commit, "COMMIT");
}
void StoreConnection::rollback() {
    appended_value_.reset();
    pending_entries_.clear();
    if (db_.in_transaction()) {
        (void)sql::step_done(db_, s_.rollback, "ROLLBACK");
    }
}

ccdr::Status StoreConnection::read_state(StoreState& out) {
    sql::ResetGuard g(s_.read_state);
    int rc = s_.read_state.step();
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? ccdr::Status(CCDR_CORRUPT, "store " + db_.path() + " has no state row")
                                 : error("reading the store state", rc);
    }
    out.store_id = std::string(s_.read_state.text(0));
    out.last_tx = static_cast<uint64_t>(s_.read_state.int64(1));
    out.last_time_ms = s_.read_state.int64(2);
    out.oldest_retained = static_cast<uint64_t>(s_.read_state.int64(3));
    out.next_node_id = s_.read_state.int64(4);
    out.next_rel_id = s_.read_state.int64(5);
    return {};
}

ccdr::Status StoreConnection::write_state(const StoreState& s) {
    auto& st = s_.write_state;
    st.bind(1, s.last_tx);
    st.bind(2, s.last_time_ms);
    st.bind(3, s.oldest_retained);
    st.bind(4, s.next_node_id);
    st.bind(5, s.next_rel_id);
    return sql::step_done(db_, st, "updating the store state");
}

namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

// The running value lives in the one-row table. A write transaction moves
// it in memory with every logged transaction (advance_fingerprint) and
// writes the table once, at its commit: a batch of thousands of applied
// transactions writes its page once.
ccdr::Result<std::optional<StoreConnection::CurrentValue>> StoreConnection::current_value() {
    sql::ResetGuard g(s_.fp_now);
    int rc = s_.fp_now.step();
    if (rc == SQLITE_DONE) {
        return std::optional<CurrentValue>();  // no running fingerprint kept
    }
    if (rc != SQLITE_ROW) {
        return error("reading the running fingerprint", rc);
    }
    CurrentValue out;
    out.tx_id = static_cast<uint64_t>(s_.fp_now.int64(0));
    if (!RunningSum::from_bytes(s_.fp_now.blob(1), out.value)) {
        return ccdr::Status(CCDR_CORRUPT, "store " + db_.path() + ": the running fingerprint is not 16 bytes");
    }
    return std::optional<CurrentValue>(out);
}

ccdr::Result<StoreConnection::CurrentValue> StoreConnection::moved_value() {
    if (appended_value_) {
        CurrentValue moved = *appended_value_;
        moved.value.add(delta_);
        return moved;
    }
    auto now = current_value();
    if (!now) {
        return now.status();
    }
    if (!*now) {
        return ccdr::Status(CCDR_CORRUPT, "store " + db_.path() + " has no running fingerprint");
    }
    CurrentValue moved = **now;
    moved.value.add(delta_);
    return moved;
}

ccdr::Result<std::optional<std::array<uint8_t, 16>>> StoreConnection::advance_fingerprint(uint64_t tx_id) {
    if (!track_fp_) {
        return std::optional<std::array<uint8_t, 16>>();
    }
    auto m = moved_value();
    if (!m) {
        return m.status();
    }
    appended_value_ = CurrentValue{tx_id, m->value};
    delta_ = {};
    return std::optional<std::array<uint8_t, 16>>(m->value.raw());
}

ccdr::Status StoreConnection::write_fingerprint() {
    if (!appended_value_) {
        return {};
    }
    const std::string bytes = appended_value_->value.bytes();
    s_.fp_write.bind(1, appended_value_->tx_id);
    s_.fp_write.bind_blob(2, as_bytes(bytes));
    return sql::step_done(db_, s_.fp_write, "updating the running fingerprint");
}

ccdr::Status StoreConnection::fold_fingerprint() {
    if (!track_fp_) {
        return {};
    }
    auto moved = moved_value();
    if (!moved) {
        return moved.status();
    }
    appended_value_ = *moved;
    delta_ = {};
    return write_fingerprint();
}

ccdr::Result<std::optional<StoreConnection::RunningValue>> StoreConnection::running_value() {
    auto now = current_value();
    if (!now) {
        return now.status();
    }
    if (!*now) {
        return std::optional<RunningValue>();
    }
    return std::optional<RunningValue>(RunningValue{(*now)->tx_id, (*now)->value});
}

ccdr::Status StoreConnection::corrupt(const ChangeOp& op, const std::string& why) const {
    return {CCDR_CORRUPT, "change record does not fit the store (op " + std::to_string(static_cast<int>(op.code)) +
                              ", id " + std::to_string(op.id) + "): " + why};
}

ccdr::Status StoreConnection::apply_record(std::span<const uint8_t> record, IdHighWater& ids) {
    ChangeRecordReader reader(record);
    ChangeOp op;
    while (reader.next(op)) {
        ccdr::Status st = apply_op(op, ids);
        if (!st) {
            return st;
        }
    }
    if (reader.failed()) {
        return {CCDR_CORRUPT, reader.error()};
    }
    return {};
}

namespace {

// Steps a statement expected to change exactly one row.
int step_changes(sqlite3* db, sql::Statement& s, int& rc) {
    rc = s.step();
    s.reset();
    return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

}  // namespace

ccdr::Status StoreConnection::update_props(sql::Statement& select, sql::Statement& update, const ChangeOp& op) {
    const bool node_op = op.code == OpCode::SetNodeProperty || op.code == OpCode::ReplaceNodeProperties;
    std::vector<uint8_t> encoded;
    {
        sql::ResetGuard g(select);
        select.bind(1, op.id);
        int rc = select.step();
        if (rc == SQLITE_DONE) {
            return corrupt(op, "no such entity");
        }
        if (rc != SQLITE_ROW) {
            return error("reading properties", rc);
        }
        if (track_fp_) {
            delta_.sub(node_op ? running_record::node(op.id, select.blob(0))
                               : running_record::rel_props(op.id, select.blob(0)));
        }
        if (op.code == OpCode::SetNodeProperty || op.code == OpCode::SetRelationshipProperty) {
            Map props;
            if (!codec::decode_map(select.blob(0), props)) {
                return {CCDR_CORRUPT, "stored properties of entity " + std::to_string(op.id) + " do not decode"};
            }
            Value v;
            codec::ByteReader vr(op.payload);
            if (!codec::decode_value(vr, v)) {
                return corrupt(op, "property value does not decode");
            }
            if (v.is_null()) {
                props.erase(std::string(op.name));
            } else {
                props.insert_or_assign(std::string(op.name), std::move(v));
            }
            encoded = codec::encode_map(props);
        }
    }
    const std::span<const uint8_t> props = encoded.empty() ? op.payload : std::span<const uint8_t>(encoded);
    update.bind_blob(1, props);
    update.bind(2, op.id);
    int rc = 0;
    if (step_changes(db_.get(), update, rc) != 1) {
        return rc == SQLITE_DONE ? corrupt(op, "no such entity") : error("updating properties", rc);
    }
    if (track_fp_) {
        delta_.add(node_op ? running_record::node(op.id, props) : running_record::rel_props(op.id, props));
    }
    return {};
}

ccdr::Status StoreConnection::delete_node_row(const ChangeOp& op) {
    ccdr::Status flushed = flush_label_index();
    if (!flushed) {
        return flushed;
    }
    std::vector<std::string> labels;
    {
        sql::ResetGuard g(s_.delete_node_returning);
        auto& q = s_.delete_node_returning;
        q.bind(1, op.id);
        int rc = q.step();
        if (rc == SQLITE_DONE) {
            return corrupt(op, "no such node");
        }
        if (rc != SQLITE_ROW) {
            return error("deleting a node", rc);
        }
        if (!node_label_set::decode(q.blob(0), labels)) {
            return stored_labels_corrupt(op.id);
        }
        if (track_fp_) {
            delta_.sub(running_record::node(op.id, q.blob(1)));
            for (const auto& label : labels) {
                delta_.sub(running_record::label(op.id, label));
            }
        }
        rc = q.step();
        if (rc != SQLITE_DONE) {
            return error("deleting a node", rc);
        }
    }
    for (const auto& label : labels) {
        s_.delete_label.bind_text(1, label);
        s_.delete_label.bind(2, op.id);
        int rc = 0;
        if (step_changes(db_.get(), s_.delete_label, rc) != 1) {
            return rc == SQLITE_DONE ? stored_labels_corrupt(op.id) : error("deleting a node's labels", rc);
        }
    }
    return {};
}

ccdr::Status StoreConnection::change_labels(const ChangeOp& op) {
    ccdr::Status flushed = flush_label_index();
    if (!flushed) {
        return flushed;
    }
    const bool add = op.code == OpCode::AddLabels;
    std::vector<std::string> have;
    {
        sql::ResetGuard g(s_.node_labels);
        s_.node_labels.bind(1, op.id);
        int rc = s_.node_labels.step();
        if (rc == SQLITE_DONE) {
            return corrupt(op, "no such node");
        }
        if (rc != SQLITE_ROW) {
            return error("reading a node's labels", rc);
        }
        if (!node_label_set::decode(s_.node_labels.blob(0), have)) {
            return stored_labels_corrupt(op.id);
        }
    }
    LabelIterator it(op.labels, op.label_count);
    std::string_view label;
    while (it.next(label)) {
        auto at = std::lower_bound(have.begin(), have.end(), label);
        const bool present = at != have.end() && *at == label;
        if (present == add) {
            return corrupt(op, add ? "label already present" : "label not present");
        }
        auto& s = add ? s_.insert_label : s_.delete_label;
        s.bind_text(1, label);
        s.bind(2, op.id);
        int rc = 0;
        if (step_changes(db_.get(), s, rc) != 1) {
            return rc == SQLITE_DONE || (rc & 0xff) == SQLITE_CONSTRAINT ? stored_labels_corrupt(op.id)
                                                                         : error("changing labels", rc);
        }
        if (add) {
            have.insert(at, std::string(label));
        } else {
            have.erase(at);
        }
        if (track_fp_) {
            auto h = running_record::label(op.id, label);
            add ? delta_.add(h) : delta_.sub(h);
        }
    }
    const std::vector<uint8_t> stored = node_label_set::encode(have);
    s_.update_node_labels.bind_blob(1, stored);
    s_.update_node_labels.bind(2, op.id);
    int rc = 0;
    if (step_changes(db_.get(), s_.update_node_labels, rc) != 1) {
        return error("changing labels", rc);
    }
    return {};
}

ccdr::Status StoreConnection::queue_label_entry(std::string_view label, int64_t node) {
    pending_entries_.push_back(LabelEntry{std::string(label), node});
    return pending_entries_.size() >= kLabelRowsPerInsert ? flush_label_index() : ccdr::Status();
}

ccdr::Status StoreConnection::flush_label_index() {
    // In key order: rows that follow each other in the index follow each
    // other in the statement (a batch of one label is already in order).
    std::sort(pending_entries_.begin(), pending_entries_.end(), [](const LabelEntry& a, const LabelEntry& b) {
        return a.label != b.label ? a.label < b.label : a.node < b.node;
    });
    size_t i = 0;
    int rc = SQLITE_DONE;
    for (; rc == SQLITE_DONE && pending_entries_.size() - i >= kLabelRowsPerInsert; i += kLabelRowsPerInsert) {
        auto& s = s_.insert_label_rows;
        for (size_t k = 0; k < kLabelRowsPerInsert; ++k) {
            s.bind_text(static_cast<int>(2 * k + 1), pending_entries_[i + k].label);
            s.bind(static_cast<int>(2 * k + 2), pending_entries_[i + k].node);
        }
        rc = s.step();
        s.reset();
    }
    for (; rc == SQLITE_DONE && i < pending_entries_.size(); ++i) {
        s_.insert_label.bind_text(1, pending_entries_[i].label);
        s_.insert_label.bind(2, pending_entries_[i].node);
        rc = s_.insert_label.step();
        s_.insert_label.reset();
    }
    pending_entries_.clear();
    if (rc == SQLITE_DONE) {
        return {};
    }
    return (rc & 0xff) == SQLITE_CONSTRAINT
               ? ccdr::Status(CCDR_CORRUPT, "store " + db_.path() +
                                                ": nodes_by_label already holds an entry of a node being created")
               : error("writing the label index", rc);
}

ccdr::Status StoreConnection::stored_labels_corrupt(int64_t node) const {
    return {CCDR_CORRUPT, "store " + db_.path() + ": the labels of node " + std::to_string(node) +
                              " in its row and in nodes_by_label differ, or its row's labels do not decode"};
}

ccdr::Status StoreConnection::delete_rel_tracked(const ChangeOp& op) {
    sql::ResetGuard g(s_.delete_rel_returning);
    auto& q = s_.delete_rel_returning;
    q.bind(1, op.id);
    int rc = q.step();
    if (rc == SQLITE_DONE) {
        return corrupt(op, "no such relationship");
    }
    if (rc != SQLITE_ROW) {
        return error("deleting a relationship", rc);
    }
    delta_.sub(running_record::rel(op.id, q.text(0), q.int64(1), q.int64(2)));
    delta_.sub(running_record::rel_props(op.id, q.blob(3)));
    rc = q.step();
    return rc == SQLITE_DONE ? ccdr::Status() : error("deleting a relationship", rc);
}

ccdr::Status StoreConnection::apply_op(const ChangeOp& op, IdHighWater& ids) {
    int rc = 0;
    std::string_view label;
    switch (op.code) {
        case OpCode::CreateNode: {
            // The row takes the labels in stored form; a record whose labels
            // are in order (every one this host writes) is bound as it is.
            std::span<const uint8_t> stored;
            switch (node_label_set::stored_form(op.labels, op.label_count, label_scratch_, stored)) {
                case node_label_set::Fault::None: break;
                case node_label_set::Fault::Duplicate: return corrupt(op, "duplicate label");
                case node_label_set::Fault::Malformed: return corrupt(op, "labels do not decode");
            }
            s_.insert_node.bind(1, op.id);
            s_.insert_node.bind_blob(2, stored);
            s_.insert_node.bind_blob(3, op.payload);
            if (step_changes(db_.get(), s_.insert_node, rc) != 1) {
                return (rc & 0xff) == SQLITE_CONSTRAINT ? corrupt(op, "node exists") : error("creating a node", rc);
            }
            LabelIterator it(op.labels, op.label_count);
            while (it.next(label)) {
                ccdr::Status st = queue_label_entry(label, op.id);
                if (!st) {
                    return st;
                }
                if (track_fp_) {
                    delta_.add(running_record::label(op.id, label));
                }
            }
            if (track_fp_) {
                delta_.add(running_record::node(op.id, op.payload));
            }
            ids.next_node_id = std::max(ids.next_node_id, op.id + 1);
            return {};
        }
        case OpCode::CreateRelationship: {
            for (int64_t end : {op.start, op.end}) {
                sql::ResetGuard g(s_.node_exists);
                s_.node_exists.bind(1, end);
                rc = s_.node_exists.step();
                if (rc == SQLITE_DONE) {
                    return corrupt(op, "endpoint node " + std::to_string(end) + " does not exist");
                }
                if (rc != SQLITE_ROW) {
                    return error("checking a relationship endpoint", rc);
                }
            }
            auto& s = s_.insert_rel;
            s.bind(1, op.id);
            s.bind_text(2, op.name);
            s.bind(3, op.start);
            s.bind(4, op.end);
            s.bind_blob(5, op.payload);
            if (step_changes(db_.get(), s, rc) != 1) {
                return (rc & 0xff) == SQLITE_CONSTRAINT ? corrupt(op, "relationship exists")
                                                        : error("creating a relationship", rc);
            }
            if (track_fp_) {
                delta_.add(running_record::rel(op.id, op.name, op.start, op.end));
                delta_.add(running_record::rel_props(op.id, op.payload));
            }
            ids.next_rel_id = std::max(ids.next_rel_id, op.id + 1);
            return {};
        }
        case OpCode::SetNodeProperty:
        case OpCode::ReplaceNodeProperties: return update_props(s_.node_props, s_.update_node_props, op);
        case OpCode::SetRelationshipProperty:
        case OpCode::ReplaceRelationshipProperties: return update_props(s_.rel_props, s_.update_rel_props, op);
        case OpCode::AddLabels:
        case OpCode::RemoveLabels: return change_labels(op);
        case OpCode::DeleteNode: {
            auto has = has_relationships(op.id);
            if (!has) {
                return has.status();
            }
            if (*has) {
                return corrupt(op, "node still has relationships");
            }
            return delete_node_row(op);
        }
        case OpCode::DeleteRelationship: {
            if (track_fp_) {
                return delete_rel_tracked(op);
            }
            s_.delete_rel.bind(1, op.id);
            if (step_changes(db_.get(), s_.delete_rel, rc) != 1) {
                return rc == SQLITE_DONE ? corrupt(op, "no such relationship") : error("deleting a relationship", rc);
            }
            return {};
        }
    }
    return corrupt(op, "unknown op");
}

ccdr::Result<std::optional<std::vector<uint8_t>>> StoreConnection::node_properties(int64_t id) {
    sql::ResetGuard g(s_.node_props);
    s_.node_props.bind(1, id);
    int rc = s_.node_props.step();
    if (rc == SQLITE_DONE) {
        return std::optional<std::vector<uint8_t>>();
    }
    if (rc != SQLITE_ROW) {
        return error("reading a node", rc);
    }
    auto b = s_.node_props.blob(0);
    return std::optional<std::vector<uint8_t>>(std::vector<uint8_t>(b.begin(), b.end()));
}

namespace {

StoreConnection::RelRow rel_from(const sql::Statement& s) {
    auto b = s.blob(4);
    return StoreConnection::RelRow{s.int64(0), std::string(s.text(1)), s.int64(2), s.int64(3),
                                   std::vector<uint8_t>(b.begin(), b.end())};
}

}  // namespace

ccdr::Result<std::optional<StoreConnection::RelRow>> StoreConnection::relationship_row(int64_t id) {
    sql::ResetGuard g(s_.rel_row);
    s_.rel_row.bind(1, id);
    int rc = s_.rel_row.step();
    if (rc == SQLITE_DONE) {
        return std::optional<RelRow>();
    }
    if (rc != SQLITE_ROW) {
        return error("reading a relationship", rc);
    }
    return std::optional<RelRow>(rel_from(s_.rel_row));
}

ccdr::Status StoreConnection::node_labels(int64_t id, std::vector<std::string>& out) {
    out.clear();
    sql::ResetGuard g(s_.node_labels);
    s_.node_labels.bind(1, id);
    int rc = s_.node_labels.step();
    if (rc == SQLITE_DONE) {
        return {};  // no such node: no labels
    }
    if (rc != SQLITE_ROW) {
        return error("reading labels", rc);
    }
    return node_label_set::decode(s_.node_labels.blob(0), out) ? ccdr::Status() : stored_labels_corrupt(id);
}

ccdr::Status StoreConnection::node_page(std::string_view label, int64_t after, int limit, std::vector<NodeRow>& out) {
    out.clear();
    if (!label.empty()) {
        ccdr::Status flushed = flush_label_index();
        if (!flushed) {
            return flushed;
        }
    }
    auto& s = label.empty() ? s_.node_page_all : s_.node_page_label;
    sql::ResetGuard g(s);
    int i = 1;
    if (!label.empty()) {
        s.bind_text(i++, label);
    }
    s.bind(i++, after);
    s.bind(i, int64_t{limit});
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
        auto b = s.blob(1);
        out.push_back(NodeRow{s.int64(0), std::vector<uint8_t>(b.begin(), b.end())});
    }
    return rc == SQLITE_DONE ? ccdr::Status() : error("scanning nodes", rc);
}

ccdr::Status StoreConnection::relationship_page(std::string_view type, int64_t after, int limit,
                                                std::vector<RelRow>& out) {
    out.clear();
    auto& s = type.empty() ? s_.rel_page_all : s_.rel_page_type;
    sql::ResetGuard g(s);
    int i = 1;
    if (!type.empty()) {
        s.bind_text(i++, type);
    }
    s.bind(i++, after);
    s.bind(i, int64_t{limit});
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
        out.push_back(rel_from(s));
    }
    return rc == SQLITE_DONE ? ccdr::Status() : error("scanning relationships", rc);
}

ccdr::Status StoreConnection::relationships_of(int64_t node, bool outgoing, std::string_view type,
                                               std::vector<RelRow>& out) {
    out.clear();
    auto& s = outgoing ? (type.empty() ? s_.rels_out_all : s_.rels_out_type)
                       : (type.empty() ? s_.rels_in_all : s_.rels_in_type);
    sql::ResetGuard g(s);
    s.bind(1, node);
    if (!type.empty()) {
        s.bind_text(2, type);
    }
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
        out.push_back(rel_from(s));
    }
    return rc == SQLITE_DONE ? ccdr::Status() : error("expanding a node", rc);
}

ccdr::Result<int64_t> StoreConnection::count_nodes(std::string_view label) {
    if (!label.empty()) {
        ccdr::Status flushed = flush_label_index();
        if (!flushed) {
            return flushed;
        }
    }
    auto& s = label.empty() ? s_.count_all : s_.count_label;
    sql::ResetGuard g(s);
    if (!label.empty()) {
        s.bind_text(1, label);
    }
    int rc = s.step();
    if (rc != SQLITE_ROW) {
        return error("counting nodes", rc);
    }
    return s.int64(0);
}

ccdr::Result<bool> StoreConnection::has_relationships(int64_t node) {
    sql::ResetGuard g(s_.node_has_rels);
    s_.node_has_rels.bind(1, node);
    int rc = s_.node_has_rels.step();
    if (rc != SQLITE_ROW) {
        return error("checking a node's relationships", rc);
    }
    return s_.node_has_rels.int64(0) != 0;
}

}  // namespace refhost
