#include "store/label_migration.hpp"

#include "store/node_label_set.hpp"

#include <string>
#include <vector>

namespace refhost {
namespace {

ccdr::Result<bool> has_labels_table(sql::Connection& db) {
    auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'labels'");
    if (!q) {
        return q.status();
    }
    int rc = q->step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db.error("reading the schema", rc);
    }
    return rc == SQLITE_ROW;
}

// Under the write lock, on a format-1 store: the node rows copied with
// their labels (one pass over nodes and labels, both in node order), the
// label index filled in its own key order, the old tables dropped.
ccdr::Status move(sql::Connection& db) {
    ccdr::Status st = db.exec("ALTER TABLE nodes RENAME TO nodes_format_1");
    if (st) {
        st = db.exec(kNodeTablesSql);
    }
    if (!st) {
        return st;
    }
    auto read = db.prepare(
        "SELECT n.id, n.props, l.label FROM nodes_format_1 n LEFT JOIN labels l ON l.node = n.id "
        "ORDER BY n.id, l.label");
    auto write = db.prepare("INSERT INTO nodes(id, labels, props) VALUES (?, ?, ?)");
    if (!read) {
        return read.status();
    }
    if (!write) {
        return write.status();
    }
    bool have = false;
    int64_t id = 0;
    std::vector<uint8_t> props;
    std::vector<std::string> labels;
    auto flush = [&]() -> ccdr::Status {
        if (!have) {
            return {};
        }
        const std::vector<uint8_t> stored = node_label_set::encode(labels);
        write->bind(1, id);
        write->bind_blob(2, stored);
        write->bind_blob(3, props);
        return sql::step_done(db, *write, "rewriting a node row");
    };
    int rc = 0;
    while ((rc = read->step()) == SQLITE_ROW) {
        if (!have || read->int64(0) != id) {
            st = flush();
            if (!st) {
                return st;
            }
            have = true;
            id = read->int64(0);
            auto b = read->blob(1);
            props.assign(b.begin(), b.end());
            labels.clear();
        }
        if (!read->is_null(2)) {
            labels.emplace_back(read->text(2));
        }
    }
    if (rc != SQLITE_DONE) {
        return db.error("reading the nodes and labels", rc);
    }
    st = flush();
    if (st) {
        st = db.exec(
            "INSERT INTO nodes_by_label(label, node) SELECT l.label, l.node FROM labels l "
            "JOIN nodes n ON n.id = l.node ORDER BY l.label, l.node");
    }
    if (st) {
        st = db.exec("DROP TABLE labels; DROP TABLE nodes_format_1; UPDATE state SET format = 2 WHERE id = 1");
    }
    return st;
}

}  // namespace

ccdr::Status move_labels_into_node_rows(sql::Connection& db) {
    auto old = has_labels_table(db);
    if (!old) {
        return old.status();
    }
    if (!*old) {
        return {};
    }
    ccdr::Status st = db.exec("BEGIN IMMEDIATE");
    if (!st) {
        return st.with_context("moving the labels of " + db.path() + " into the node rows");
    }
    // Again under the write lock: another connection may have done it.
    old = has_labels_table(db);
    if (!old) {
        st = old.status();
    } else if (*old) {
        st = move(db);
    }
    if (!st) {
        (void)db.exec("ROLLBACK");
        return st.with_context("moving the labels of " + db.path() + " into the node rows");
    }
    return db.exec("COMMIT");
}

}  // namespace refhost
