// examples/refhost/store/label_migration.hpp: the tables of a store's nodes
// and labels (store format 2), and the move of a format-1 store into them.
//
// Format 1 kept each label as a row of `labels(node, label)` with an index
// on (label, node): three B-tree entries for a node with one label. Format 2
// keeps a node's labels in its row (node_label_set.hpp) and one entry per
// label in `nodes_by_label(label, node)`, the only label index (MATCH
// (n:Label), counts by label): two entries.
#pragma once

#include "store/sqlite.hpp"

#include <ccdr/status.hpp>

namespace refhost {

inline constexpr const char* kNodeTablesSql = R"sql(
CREATE TABLE nodes(id INTEGER PRIMARY KEY, labels BLOB NOT NULL, props BLOB NOT NULL);
CREATE TABLE nodes_by_label(label TEXT NOT NULL, node INTEGER NOT NULL, PRIMARY KEY (label, node)) WITHOUT ROWID;
)sql";

// Moves a format-1 store (it has the `labels` table) into format 2 in one
// SQLite transaction: every node row rewritten with its labels, the label
// index built, `labels` dropped, state.format set to 2. A crash leaves
// format 1, moved again at the next open. A format-2 store costs one schema
// read. Run by StoreConnection::open before anything reads nodes.
ccdr::Status move_labels_into_node_rows(sql::Connection& db);

}  // namespace refhost
