// test/unit/refhost/store_format_1.hpp: a store file of format 1, as the
// refhost before format 2 (store/label_migration.hpp) made it, for the
// tests that a store or a snapshot of that format is moved when opened.
#pragma once

#include "store/sqlite.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace refhost::test {

// Rewrites a format-2 store file's node and label tables as format 1 had
// them (its schema word for word: a labels table and its index), leaving
// the rest (state, running value) as it is.
inline void make_format_1(const std::filesystem::path& file) {
    auto db = sql::Connection::open(file.string(), false);
    REQUIRE(db);
    REQUIRE(db->exec(R"sql(
BEGIN IMMEDIATE;
CREATE TABLE labels(node INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (node, label)) WITHOUT ROWID;
CREATE INDEX labels_by_label ON labels(label, node);
INSERT INTO labels(node, label) SELECT node, label FROM nodes_by_label;
DROP TABLE nodes_by_label;
ALTER TABLE nodes RENAME TO nodes_2;
CREATE TABLE nodes(id INTEGER PRIMARY KEY, props BLOB NOT NULL);
INSERT INTO nodes(id, props) SELECT id, props FROM nodes_2;
DROP TABLE nodes_2;
UPDATE state SET format = 1;
COMMIT;
)sql"));
}

}  // namespace refhost::test
