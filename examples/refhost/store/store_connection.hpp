// examples/refhost/store/store_connection.hpp: one SQLite connection to a
// member's store with every statement the store runs, prepared once. Used by
// one thread at a time (the pool in MemberStore hands it out). Applying a
// change record lives here too, so user commits, intra-cluster copies and
// apply_batch run the very same statements.
#pragma once

#include "store/change_record.hpp"
#include "store/running_fingerprint.hpp"
#include "store/sqlite.hpp"

#include <ccdr/status.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refhost {

// The single row of the `state` table: what the store is and how far it is.
struct StoreState {
    std::string store_id;
    uint64_t last_tx = 0;
    int64_t last_time_ms = 0;
    uint64_t oldest_retained = 1;  // smallest id read_log can return; last_tx + 1 when none kept
    int64_t next_node_id = 0;
    int64_t next_rel_id = 0;
};

// The highest ids a change record used; a replicated apply moves the store's
// id counters past them.
struct IdHighWater {
    int64_t next_node_id = 0;
    int64_t next_rel_id = 0;
};

class StoreConnection {
public:
    // 2: a node's labels in its row and in nodes_by_label (label_migration.hpp);
    // a store of format 1 is moved to 2 when it is opened.
    static constexpr int kFormat = 2;

    // Opens a connection to an existing store file (its schema is created by
    // create_schema on the first connection). With track_fingerprint, the
    // store's running fingerprint (running_fingerprint.hpp) is built if it
    // is missing and every change applied through this connection keeps it
    // current; without, the store keeps none (benchmarks compare the two).
    static ccdr::Result<std::unique_ptr<StoreConnection>> open(const std::string& path, bool synchronous_full,
                                                               bool track_fingerprint = true);
    // Creates the tables and the state row of a new store.
    static ccdr::Status create_schema(sql::Connection& db, const std::string& store_id);

    sql::Connection& db() { return db_; }

    ccdr::Status begin_read();
    ccdr::Status begin_write();  // BEGIN IMMEDIATE
    ccdr::Status commit();
    void rollback();
    bool in_transaction() const { return db_.in_transaction(); }

    ccdr::Status read_state(StoreState& out);
    ccdr::Status write_state(const StoreState& s);
    // With tracking, moves the running fingerprint by the changes applied
    // since begin_write or the previous call, as the value after `tx_id`,
    // and returns it (16 bytes, RunningSum::bytes) for the tx's log record;
    // the table gets it at commit(). Without tracking: nullopt.
    ccdr::Result<std::optional<std::array<uint8_t, 16>>> advance_fingerprint(uint64_t tx_id);
    // Moves the current running value by the changes applied since
    // begin_write or the last advance / fold, keeping its tx: what a change
    // applied without a log entry does (the divergence test hook).
    ccdr::Status fold_fingerprint();
    bool tracks_fingerprint() const { return track_fp_; }
    // The running value now (the caller holds a read transaction): its tx
    // and value; nullopt when the store keeps none.
    struct RunningValue {
        uint64_t tx_id = 0;
        RunningSum value;
    };
    ccdr::Result<std::optional<RunningValue>> running_value();

    // Applies every op of a record. CCDR_CORRUPT for a malformed record or one
    // that does not fit the store (an id that exists or does not); the SQLite
    // transaction is then in an unknown state and must be rolled back.
    ccdr::Status apply_record(std::span<const uint8_t> record, IdHighWater& ids);
    ccdr::Status apply_op(const ChangeOp& op, IdHighWater& ids);

    // --- reads for the graph API (the caller holds a transaction) ---
    // Properties of a node/relationship, or nullopt when there is none.
    ccdr::Result<std::optional<std::vector<uint8_t>>> node_properties(int64_t id);
    struct RelRow {
        int64_t id = 0;
        std::string type;
        int64_t src = 0;
        int64_t dst = 0;
        std::vector<uint8_t> props;
    };
    ccdr::Result<std::optional<RelRow>> relationship_row(int64_t id);
    ccdr::Status node_labels(int64_t id, std::vector<std::string>& out);
    // Node ids (with their properties) after `after` in id order, at most
    // `limit`; carrying `label` unless it is empty.
    struct NodeRow {
        int64_t id = 0;
        std::vector<uint8_t> props;
    };
    ccdr::Status node_page(std::string_view label, int64_t after, int limit, std::vector<NodeRow>& out);
    ccdr::Status relationship_page(std::string_view type, int64_t after, int limit, std::vector<RelRow>& out);
    // Relationships with `node` as source (outgoing) or target (incoming).
    ccdr::Status relationships_of(int64_t node, bool outgoing, std::string_view type, std::vector<RelRow>& out);
    ccdr::Result<int64_t> count_nodes(std::string_view label);
    ccdr::Result<bool> has_relationships(int64_t node);

    // Writes the label-index entries of the nodes created since the last
    // flush (see pending_entries_). Every read or change of nodes_by_label
    // and commit() call it; the writers (MemberStore::apply, commit_write,
    // PartsApply::commit) call it before the log has the transaction, so a
    // failure here comes before it is durable.
    ccdr::Status flush_label_index();

    ccdr::Status error(std::string_view what, int rc) const { return db_.error(what, rc); }

private:
    StoreConnection() = default;
    ccdr::Status prepare_all();
    ccdr::Status corrupt(const ChangeOp& op, const std::string& why) const;
    ccdr::Status update_props(sql::Statement& select, sql::Statement& update, const ChangeOp& op);
    // Deleting a node: its row comes back (RETURNING) with the labels whose
    // entries leave nodes_by_label and, when tracking, the records that
    // leave the running value.
    ccdr::Status delete_node_row(const ChangeOp& op);
    // Deleting a relationship when tracking: the row comes back likewise.
    ccdr::Status delete_rel_tracked(const ChangeOp& op);
    // AddLabels / RemoveLabels: the node row's label set and nodes_by_label.
    ccdr::Status change_labels(const ChangeOp& op);
    // The node row's labels and the label index disagree (or do not decode).
    ccdr::Status stored_labels_corrupt(int64_t node) const;
    // A created node's label-index entry, written at the next flush.
    ccdr::Status queue_label_entry(std::string_view label, int64_t node);

    sql::Connection db_;
    struct Statements {
        sql::Statement begin_read, begin_write, commit, rollback;
        sql::Statement read_state, write_state;
        sql::Statement insert_node, insert_label, delete_label, update_node_labels, node_props, update_node_props,
            node_exists, node_has_rels;
        sql::Statement insert_rel, rel_row, rel_props, update_rel_props, delete_rel;
        sql::Statement node_labels, node_page_all, node_page_label, rel_page_all, rel_page_type;
        sql::Statement rels_out_all, rels_out_type, rels_in_all, rels_in_type, count_all, count_label;
        sql::Statement fp_now, fp_write, delete_node_returning, delete_rel_returning;
        sql::Statement insert_label_rows;  // kLabelRowsPerInsert rows of nodes_by_label
    } s_;
    // The running value now (the table's row).
    struct CurrentValue {
        uint64_t tx_id = 0;
        RunningSum value;
    };
    // Writes the value advanced in this transaction into the table (commit()).
    ccdr::Status write_fingerprint();
    ccdr::Result<std::optional<CurrentValue>> current_value();
    // The current value moved by delta_ (CCDR_CORRUPT when the store keeps none).
    ccdr::Result<CurrentValue> moved_value();

    bool track_fp_ = true;
    RunningSum delta_;  // changes applied since begin_write / the last advance
    // The value advanced to in the open write transaction, written to the
    // table at commit: the next advance continues from it (apply_batch logs
    // thousands per transaction). Cleared when the transaction begins or ends.
    std::optional<CurrentValue> appended_value_;
    // A created node's labels sorted into stored form, when its record did
    // not have them in order (kept to reuse its capacity).
    std::vector<uint8_t> label_scratch_;
    // Label-index entries of created nodes not yet in nodes_by_label. One
    // INSERT of many rows keeps its cursor where the last row went, so a
    // run of nodes with the same label appends without a seek from the
    // root per entry (a statement per entry was about half of apply_batch).
    struct LabelEntry {
        std::string label;
        int64_t node = 0;
    };
    static constexpr size_t kLabelRowsPerInsert = 128;
    std::vector<LabelEntry> pending_entries_;
};

}  // namespace refhost
