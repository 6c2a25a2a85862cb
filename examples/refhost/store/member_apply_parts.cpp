#include "store/member_apply_parts.hpp"

#include "store/change_record.hpp"

#include <string>

namespace refhost {

ccdr::Result<std::unique_ptr<MemberStore::PartsApply>> MemberStore::begin_parts(WriteLock lock, uint64_t tx_id,
                                                                                int64_t commit_time_ms,
                                                                                uint64_t total_bytes) {
    if (!lock.held()) {
        return ccdr::Status(CCDR_INTERNAL, "apply in parts without the write lock");
    }
    StoreState s = written_state();
    if (tx_id != s.last_tx + 1) {
        return ccdr::Status(CCDR_OUT_OF_ORDER, "expected tx " + std::to_string(s.last_tx + 1) + ", got tx " +
                                                   std::to_string(tx_id) + " (last committed is " +
                                                   std::to_string(s.last_tx) + ")");
    }
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    ccdr::Status st = (*lease)->begin_write();
    if (!st) {
        return st;
    }
    std::unique_ptr<PartsApply> parts(
        new PartsApply(std::move(*lease), std::move(lock), s, tx_id, commit_time_ms, total_bytes));
    st = parts->reserve_log_record();
    if (!st) {
        return st;  // the destructor rolls back
    }
    return parts;
}

MemberStore::PartsApply::PartsApply(Lease lease, WriteLock lock, StoreState state, uint64_t tx_id,
                                    int64_t commit_time_ms, uint64_t total_bytes)
    : lease_(std::move(lease)),
      lock_(std::move(lock)),
      state_(std::move(state)),
      ids_{state_.next_node_id, state_.next_rel_id},
      tx_id_(tx_id),
      commit_time_ms_(commit_time_ms),
      total_bytes_(total_bytes) {}

MemberStore::PartsApply::~PartsApply() {
    if (open_) {
        lease_->rollback();
    }
}

ccdr::Status MemberStore::PartsApply::fail(ccdr::Status st) {
    failed_ = true;
    return st.with_context("tx " + std::to_string(tx_id_));
}

// The log record's room is reserved first, at the end of the log; each part
// is written into it where it belongs (never held whole), and commit()
// writes its header with the running fingerprint after the transaction.
ccdr::Status MemberStore::PartsApply::reserve_log_record() {
    log_mark_ = lease_.store().log_->mark();
    auto record = lease_.store().log_->begin_record(tx_id_, commit_time_ms_, total_bytes_);
    if (!record) {
        return record.status();
    }
    record_ = std::move(record.value());
    return {};
}

ccdr::Status MemberStore::PartsApply::write_log_part(std::span<const uint8_t> bytes) {
    return record_->write(bytes);
}

// Applies every whole op of carry_ + bytes and keeps the op cut at the end.
ccdr::Status MemberStore::PartsApply::apply_whole_ops(std::span<const uint8_t> bytes) {
    std::span<const uint8_t> record = bytes;
    if (!carry_.empty()) {
        carry_.insert(carry_.end(), bytes.begin(), bytes.end());
        record = carry_;
    }
    if (record.empty()) {
        return {};
    }
    // Where the whole ops end. A failure may be an op the next part
    // completes: commit() decides, once no part can follow.
    ChangeRecordReader reader(record);
    if (reader.failed()) {
        return {CCDR_CORRUPT, reader.error()};  // the version byte
    }
    size_t whole = reader.position();
    ChangeOp op;
    while (reader.next(op)) {
        whole = reader.position();
    }
    cut_error_ = reader.failed() ? reader.error() : std::string();
    if (whole > 1) {
        ccdr::Status st = lease_->apply_record(record.first(whole), ids_);
        if (!st) {
            return st;
        }
    }
    // The rest starts behind the version byte, so the next round parses it
    // as a record of its own.
    std::vector<uint8_t> rest;
    rest.reserve(1 + record.size() - whole);
    rest.push_back(record[0]);
    rest.insert(rest.end(), record.begin() + static_cast<ptrdiff_t>(whole), record.end());
    carry_ = std::move(rest);
    return {};
}

ccdr::Status MemberStore::PartsApply::part(std::span<const uint8_t> bytes) {
    if (failed_ || !open_) {
        return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id_) + ": a part after a failed part or a commit"};
    }
    if (bytes.size() > total_bytes_ - received_) {
        return fail({CCDR_INVALID_ARGUMENT, "a part of " + std::to_string(bytes.size()) + " bytes at byte " +
                                                std::to_string(received_) + " passes the announced " +
                                                std::to_string(total_bytes_) + " bytes"});
    }
    ccdr::Status st = write_log_part(bytes);
    if (st) {
        st = apply_whole_ops(bytes);
    }
    if (!st) {
        return fail(std::move(st));
    }
    received_ += bytes.size();
    return {};
}

ccdr::Status MemberStore::PartsApply::commit() {
    if (failed_ || !open_) {
        return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id_) + ": commit after a failed part or a commit"};
    }
    if (received_ != total_bytes_) {
        return fail({CCDR_INVALID_ARGUMENT, "the parts hold " + std::to_string(received_) + " of the announced " +
                                                std::to_string(total_bytes_) + " bytes"});
    }
    if (received_ == 0) {
        return fail({CCDR_CORRUPT, "empty change record"});
    }
    if (carry_.size() > 1) {
        return fail({CCDR_CORRUPT, "the payload ends inside a change record op (" + std::to_string(carry_.size() - 1) +
                                       " bytes): " + cut_error_});
    }
    StoreConnection& c = *lease_;
    MemberStore& store = lease_.store();
    // As for a batch: the record is durable in the log before the graph
    // commits (member_store.hpp).
    auto fp = c.advance_fingerprint(tx_id_);
    ccdr::Status st = fp.status();
    if (st) {
        st = record_->finish(*fp);
    }
    state_.last_tx = tx_id_;
    state_.last_time_ms = commit_time_ms_;
    state_.next_node_id = ids_.next_node_id;
    state_.next_rel_id = ids_.next_rel_id;
    if (st) {
        st = c.flush_label_index();
    }
    if (st) {
        st = c.write_state(state_);
    }
    if (st) {
        st = store.log_->sync();
    }
    if (!st) {
        // Cut back out of the log (the record is not durable as a whole
        // until the sync returned), then the destructor rolls back.
        record_.reset();
        (void)store.log_->rollback(log_mark_);
        return fail(std::move(st));
    }
    st = c.commit();
    if (!st) {
        // The log holds it durably and the graph does not: a reopen replays it.
        {
            std::lock_guard lock(store.sync_mu_);
            store.sync_failure_ = st.with_context("committing tx " + std::to_string(tx_id_) + " of " +
                                                  store.file_.string() +
                                                  " after logging it; reopen the member to replay it");
        }
        return fail(std::move(st));
    }
    open_ = false;
    store.record_commit(state_);
    return store.make_durable(tx_id_);
}

}  // namespace refhost
