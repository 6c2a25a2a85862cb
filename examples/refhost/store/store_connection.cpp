#include "store/store_connection.hpp"

#include "store/value_codec.hpp"

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
CREATE TABLE nodes(id INTEGER PRIMARY KEY, props BLOB NOT NULL);
CREATE TABLE labels(node INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (node, label)) WITHOUT ROWID;
CREATE INDEX labels_by_label ON labels(label, node);
CREATE TABLE rels(id INTEGER PRIMARY KEY, type TEXT NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL,
                  props BLOB NOT NULL);
CREATE INDEX rels_by_src ON rels(src, type);
CREATE INDEX rels_by_dst ON rels(dst, type);
CREATE INDEX rels_by_type ON rels(type, id);
-- fp (the running fingerprint after the tx) before the payload: reading it
-- then never walks a large payload's overflow pages. Stores made before it
-- existed get it appended at the end (ensure_running_fingerprint).
CREATE TABLE txlog(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, fp BLOB, payload BLOB NOT NULL);
)sql";

}  // namespace

ccdr::Status StoreConnection::create_schema(sql::Connection& db, const std::string& store_id) {
    ccdr::Status st = db.exec("BEGIN IMMEDIATE");
    if (!st) {
        return st;
    }
    st = db.exec(kSchema);
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
    p(s_.append_log, "INSERT INTO txlog(id, time, payload, fp) VALUES (?, ?, ?, ?)");
    // The table's row and the last log entry in one step (current_value()).
    p(s_.fp_now,
      "SELECT r.tx, r.value, l.id, l.fp FROM running_fingerprint AS r LEFT JOIN "
      "(SELECT id, fp FROM txlog ORDER BY id DESC LIMIT 1) AS l ON 1 WHERE r.id = 1");
    p(s_.fp_write, "UPDATE running_fingerprint SET tx = ?1, value = ?2 WHERE id = 1");
    p(s_.fp_log_write, "UPDATE txlog SET fp = ?2 WHERE id = ?1");
    p(s_.fp_logged, "SELECT fp FROM txlog WHERE id = ?");
    p(s_.delete_labels_returning, "DELETE FROM labels WHERE node = ? RETURNING label");
    p(s_.delete_node_returning, "DELETE FROM nodes WHERE id = ? RETURNING props");
    p(s_.delete_rel_returning, "DELETE FROM rels WHERE id = ? RETURNING type, src, dst, props");
    p(s_.insert_node, "INSERT INTO nodes(id, props) VALUES (?, ?)");
    p(s_.insert_label, "INSERT INTO labels(node, label) VALUES (?, ?)");
    p(s_.delete_label, "DELETE FROM labels WHERE node = ? AND label = ?");
    p(s_.delete_labels_of, "DELETE FROM labels WHERE node = ?");
    p(s_.node_props, "SELECT props FROM nodes WHERE id = ?");
    p(s_.update_node_props, "UPDATE nodes SET props = ? WHERE id = ?");
    p(s_.delete_node, "DELETE FROM nodes WHERE id = ?");
    p(s_.node_exists, "SELECT 1 FROM nodes WHERE id = ?");
    p(s_.node_has_rels,
      "SELECT EXISTS (SELECT 1 FROM rels WHERE src = ?1) OR EXISTS (SELECT 1 FROM rels WHERE dst = ?1)");
    p(s_.insert_rel, "INSERT INTO rels(id, type, src, dst, props) VALUES (?, ?, ?, ?, ?)");
    p(s_.rel_row, "SELECT id, type, src, dst, props FROM rels WHERE id = ?");
    p(s_.rel_props, "SELECT props FROM rels WHERE id = ?");
    p(s_.update_rel_props, "UPDATE rels SET props = ? WHERE id = ?");
    p(s_.delete_rel, "DELETE FROM rels WHERE id = ?");
    p(s_.node_labels, "SELECT label FROM labels WHERE node = ? ORDER BY label");
    p(s_.node_page_all, "SELECT id, props FROM nodes WHERE id > ? ORDER BY id LIMIT ?");
    p(s_.node_page_label,
      "SELECT n.id, n.props FROM labels l JOIN nodes n ON n.id = l.node WHERE l.label = ? AND l.node > ? "
      "ORDER BY l.node LIMIT ?");
    p(s_.rel_page_all, "SELECT id, type, src, dst, props FROM rels WHERE id > ? ORDER BY id LIMIT ?");
    p(s_.rel_page_type,
      "SELECT id, type, src, dst, props FROM rels WHERE type = ? AND id > ? ORDER BY id LIMIT ?");
    p(s_.rels_out_all, "SELECT id, type, src, dst, props FROM rels WHERE src = ? ORDER BY id");
    p(s_.rels_out_type, "SELECT id, type, src, dst, props FROM rels WHERE src = ? AND type = ? ORDER BY id");
    p(s_.rels_in_all, "SELECT id, type, src, dst, props FROM rels WHERE dst = ? ORDER BY id");
    p(s_.rels_in_type, "SELECT id, type, src, dst, props FROM rels WHERE dst = ? AND type = ? ORDER BY id");
    p(s_.count_all, "SELECT count(*) FROM nodes");
    p(s_.count_label, "SELECT count(*) FROM labels WHERE label = ?");
    p(s_.scan_log, "SELECT id, time, payload FROM txlog WHERE id >= ? ORDER BY id");
    return failed;
}

ccdr::Status StoreConnection::begin_read() { return sql::step_done(db_, s_.begin_read, "BEGIN"); }
ccdr::Status StoreConnection::begin_write() {
    delta_ = {};
    appended_value_.reset();
    return sql::step_done(db_, s_.begin_write, "BEGIN IMMEDIATE");
}
ccdr::Status StoreConnection::commit() {
    appended_value_.reset();
    return sql::step_done(db_, s_.commit, "COMMIT");
}
void StoreConnection::rollback() {
    appended_value_.reset();
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

// Where the running value is: the last log entry's fp when that entry is
// newer than the one-row table's tx (every commit of a tracking store), else
// the table (a store just opened, imported or copied: its value was settled
// there). A commit then writes its value once, with its log entry, and never
// rewrites the table's page (docs/benchmarks.md: that page write cost 22 % of
// an unsynced commit).
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
    int value_column = 1;
    if (!s_.fp_now.is_null(2) && static_cast<uint64_t>(s_.fp_now.int64(2)) > out.tx_id && !s_.fp_now.is_null(3)) {
        out.tx_id = static_cast<uint64_t>(s_.fp_now.int64(2));
        out.in_log = true;
        value_column = 3;
    }
    if (!RunningSum::from_bytes(s_.fp_now.blob(value_column), out.value)) {
        return ccdr::Status(CCDR_CORRUPT, "store " + db_.path() + ": the running fingerprint" +
                                              (out.in_log ? " of tx " + std::to_string(out.tx_id) : std::string()) +
                                              " is not 16 bytes");
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

ccdr::Status StoreConnection::append_log(uint64_t tx_id, int64_t time_ms, std::span<const uint8_t> payload) {
    auto& st = s_.append_log;
    std::optional<CurrentValue> moved;
    std::string fp;
    if (track_fp_) {
        auto m = moved_value();
        if (!m) {
            return m.status();
        }
        moved = CurrentValue{tx_id, m->value, true};
        fp = moved->value.bytes();
    }
    st.bind(1, tx_id);
    st.bind(2, time_ms);
    st.bind_blob(3, payload);
    if (track_fp_) {
        st.bind_blob(4, as_bytes(fp));
    } else {
        st.bind_null(4);
    }
    ccdr::Status done = sql::step_done(db_, st, "appending tx " + std::to_string(tx_id) + " to the log");
    if (done && moved) {
        delta_ = {};
        appended_value_ = moved;
    }
    return done;
}

ccdr::Result<std::optional<std::string>> StoreConnection::moved_log_fingerprint() {
    if (!track_fp_) {
        return std::optional<std::string>();
    }
    auto moved = moved_value();
    if (!moved) {
        return moved.status();
    }
    return std::optional<std::string>(moved->value.bytes());
}

ccdr::Status StoreConnection::fold_fingerprint() {
    if (!track_fp_) {
        return {};
    }
    auto moved = moved_value();
    if (!moved) {
        return moved.status();
    }
    const std::string bytes = moved->value.bytes();
    sql::Statement& write = moved->in_log ? s_.fp_log_write : s_.fp_write;
    write.bind(1, moved->tx_id);
    write.bind_blob(2, as_bytes(bytes));
    ccdr::Status st = sql::step_done(db_, write, "updating the running fingerprint");
    appended_value_.reset();
    if (st) {
        delta_ = {};
    }
    return st;
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

ccdr::Result<std::optional<RunningSum>> StoreConnection::logged_fingerprint(uint64_t tx_id) {
    sql::ResetGuard g(s_.fp_logged);
    s_.fp_logged.bind(1, tx_id);
    int rc = s_.fp_logged.step();
    if (rc == SQLITE_DONE) {
        return std::optional<RunningSum>();
    }
    if (rc != SQLITE_ROW) {
        return error("reading a logged running fingerprint", rc);
    }
    RunningSum v;
    if (s_.fp_logged.is_null(0)) {
        return std::optional<RunningSum>();
    }
    if (!RunningSum::from_bytes(s_.fp_logged.blob(0), v)) {
        return ccdr::Status(CCDR_CORRUPT, "store " + db_.path() + ": the running fingerprint of tx " +
                                              std::to_string(tx_id) + " is not 16 bytes");
    }
    return std::optional<RunningSum>(v);
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

ccdr::Status StoreConnection::delete_node_tracked(const ChangeOp& op) {
    int rc = 0;
    {
        sql::ResetGuard g(s_.delete_labels_returning);
        s_.delete_labels_returning.bind(1, op.id);
        while ((rc = s_.delete_labels_returning.step()) == SQLITE_ROW) {
            delta_.sub(running_record::label(op.id, s_.delete_labels_returning.text(0)));
        }
        if (rc != SQLITE_DONE) {
            return error("deleting labels", rc);
        }
    }
    sql::ResetGuard g(s_.delete_node_returning);
    s_.delete_node_returning.bind(1, op.id);
    rc = s_.delete_node_returning.step();
    if (rc == SQLITE_DONE) {
        return corrupt(op, "no such node");
    }
    if (rc != SQLITE_ROW) {
        return error("deleting a node", rc);
    }
    delta_.sub(running_record::node(op.id, s_.delete_node_returning.blob(0)));
    rc = s_.delete_node_returning.step();
    return rc == SQLITE_DONE ? ccdr::Status() : error("deleting a node", rc);
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
            s_.insert_node.bind(1, op.id);
            s_.insert_node.bind_blob(2, op.payload);
            if (step_changes(db_.get(), s_.insert_node, rc) != 1) {
                return (rc & 0xff) == SQLITE_CONSTRAINT ? corrupt(op, "node exists") : error("creating a node", rc);
            }
            LabelIterator it(op.labels, op.label_count);
            while (it.next(label)) {
                s_.insert_label.bind(1, op.id);
                s_.insert_label.bind_text(2, label);
                if (step_changes(db_.get(), s_.insert_label, rc) != 1) {
                    return (rc & 0xff) == SQLITE_CONSTRAINT ? corrupt(op, "duplicate label")
                                                            : error("adding a label", rc);
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
        case OpCode::RemoveLabels: {
            {
                sql::ResetGuard g(s_.node_exists);
                s_.node_exists.bind(1, op.id);
                rc = s_.node_exists.step();
                if (rc == SQLITE_DONE) {
                    return corrupt(op, "no such node");
                }
                if (rc != SQLITE_ROW) {
                    return error("checking a node", rc);
                }
            }
            bool add = op.code == OpCode::AddLabels;
            auto& s = add ? s_.insert_label : s_.delete_label;
            LabelIterator it(op.labels, op.label_count);
            while (it.next(label)) {
                s.bind(1, op.id);
                s.bind_text(2, label);
                if (step_changes(db_.get(), s, rc) != 1) {
                    return rc == SQLITE_DONE || (rc & 0xff) == SQLITE_CONSTRAINT
                               ? corrupt(op, add ? "label already present" : "label not present")
                               : error("changing labels", rc);
                }
                if (track_fp_) {
                    auto h = running_record::label(op.id, label);
                    add ? delta_.add(h) : delta_.sub(h);
                }
            }
            return {};
        }
        case OpCode::DeleteNode: {
            auto has = has_relationships(op.id);
            if (!has) {
                return has.status();
            }
            if (*has) {
                return corrupt(op, "node still has relationships");
            }
            if (track_fp_) {
                return delete_node_tracked(op);
            }
            s_.delete_labels_of.bind(1, op.id);
            if (step_changes(db_.get(), s_.delete_labels_of, rc) < 0) {
                return error("deleting labels", rc);
            }
            s_.delete_node.bind(1, op.id);
            if (step_changes(db_.get(), s_.delete_node, rc) != 1) {
                return rc == SQLITE_DONE ? corrupt(op, "no such node") : error("deleting a node", rc);
            }
            return {};
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
    int rc = 0;
    while ((rc = s_.node_labels.step()) == SQLITE_ROW) {
        out.emplace_back(s_.node_labels.text(0));
    }
    return rc == SQLITE_DONE ? ccdr::Status() : error("reading labels", rc);
}

ccdr::Status StoreConnection::node_page(std::string_view label, int64_t after, int limit, std::vector<NodeRow>& out) {
    out.clear();
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

ccdr::Status StoreConnection::scan_log(uint64_t from_tx, const LogRowFn& fn) {
    auto& s = s_.scan_log;
    sql::ResetGuard g(s);
    s.bind(1, from_tx);
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
        if (!fn(static_cast<uint64_t>(s.int64(0)), s.int64(1), s.blob(2))) {
            return {};
        }
    }
    return rc == SQLITE_DONE ? ccdr::Status() : error("reading the transaction log", rc);
}

}  // namespace refhost
