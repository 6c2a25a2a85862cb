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
    static constexpr int kFormat = 1;

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
    // Logs a transaction; with tracking, also moves the running fingerprint
    // by the changes applied since begin_write or the previous append_log,
    // and stores the new value with the entry.
    ccdr::Status append_log(uint64_t tx_id, int64_t time_ms, std::span<const uint8_t> payload);
    // Moves the current running value (where it is kept) by the changes
    // applied since begin_write or the last append_log / fold, keeping its
    // tx: what a change applied without a log entry does (the divergence
    // test hook).
    ccdr::Status fold_fingerprint();
    // The value the last append_log's entry holds, moved by the changes
    // applied since, as bytes (nullopt without tracking); changes nothing.
    // For an entry logged before its changes (ABI 1.2 apply in parts), which
    // writes it into the entry itself: fold_fingerprint's UPDATE would
    // rewrite the whole row, payload included.
    ccdr::Result<std::optional<std::string>> moved_log_fingerprint();
    bool tracks_fingerprint() const { return track_fp_; }
    // The running value now (the caller holds a read transaction): its tx
    // and value; nullopt when the store keeps none.
    struct RunningValue {
        uint64_t tx_id = 0;
        RunningSum value;
    };
    ccdr::Result<std::optional<RunningValue>> running_value();
    // The value logged with tx_id: nullopt when there is no such entry or it
    // was logged without one.
    ccdr::Result<std::optional<RunningSum>> logged_fingerprint(uint64_t tx_id);

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
    // Logged transactions from `from_tx` on, in id order, until `fn` returns false.
    using LogRowFn = std::function<bool(uint64_t tx_id, int64_t time_ms, std::span<const uint8_t> payload)>;
    ccdr::Status scan_log(uint64_t from_tx, const LogRowFn& fn);

    ccdr::Status error(std::string_view what, int rc) const { return db_.error(what, rc); }

private:
    StoreConnection() = default;
    ccdr::Status prepare_all();
    ccdr::Status corrupt(const ChangeOp& op, const std::string& why) const;
    ccdr::Status update_props(sql::Statement& select, sql::Statement& update, const ChangeOp& op);
    // Deleting a node or relationship when tracking: the rows come back
    // (RETURNING) so their records leave the running value.
    ccdr::Status delete_node_tracked(const ChangeOp& op);
    ccdr::Status delete_rel_tracked(const ChangeOp& op);

    sql::Connection db_;
    struct Statements {
        sql::Statement begin_read, begin_write, commit, rollback;
        sql::Statement read_state, write_state, append_log;
        sql::Statement insert_node, insert_label, delete_label, delete_labels_of, node_props, update_node_props,
            delete_node, node_exists, node_has_rels;
        sql::Statement insert_rel, rel_row, rel_props, update_rel_props, delete_rel;
        sql::Statement node_labels, node_page_all, node_page_label, rel_page_all, rel_page_type;
        sql::Statement rels_out_all, rels_out_type, rels_in_all, rels_in_type, count_all, count_label;
        sql::Statement scan_log;
        sql::Statement fp_now, fp_write, fp_log_write, fp_logged, delete_labels_returning,
            delete_node_returning,
            delete_rel_returning;
    } s_;
    // The running value now and where it is kept (current_value() in the
    // .cpp says why two places).
    struct CurrentValue {
        uint64_t tx_id = 0;
        RunningSum value;
        bool in_log = false;  // the last log entry's fp, else the one-row table
    };
    ccdr::Result<std::optional<CurrentValue>> current_value();
    // The current value moved by delta_ (CCDR_CORRUPT when the store keeps none).
    ccdr::Result<CurrentValue> moved_value();

    bool track_fp_ = true;
    RunningSum delta_;  // changes applied since begin_write / the last append_log
    // What the last append_log of the open write transaction stored: the
    // next append_log of the same transaction (apply_batch logs thousands)
    // continues from it instead of reading back the row it just wrote (that
    // read was ~40 % of apply_batch's CPU). Cleared when the transaction
    // begins or ends and by fold_fingerprint.
    std::optional<CurrentValue> appended_value_;
};

}  // namespace refhost
