// examples/refhost/store/member_apply_parts.hpp: one replicated transaction
// applied in parts (ABI 1.2 apply_tx_begin / part / commit / abort), so a
// transaction of any size is applied in memory bounded by a part and one
// change-record op.
//
// MemberStore::begin_parts takes the write lock and opens one SQLite write
// transaction that stays open across the parts. It reserves the
// transaction's record at the end of the log (SegmentLog::RecordWriter), so
// each part is written into the record where it belongs and never held
// whole. Each part's whole ops are applied as they arrive; an op cut
// between two parts is kept until the next part completes it (at most one
// op plus one part is buffered; an op that cannot be told from a cut one,
// i.e. a malformed record, keeps what follows it buffered until commit()
// refuses it: the replica applies only what the hash chain verified, which
// its upstream applied itself). commit() checks that the parts added up to
// the announced size and ended on an op boundary, writes the record's
// header with the running fingerprint after the transaction, syncs the log,
// then commits the graph with the state row, as MemberStore::apply does for
// a batch. Destroying the object before an OK commit() rolls everything back
// and cuts the record out of the log; nothing of the transaction is visible
// before it commits.
#pragma once

#include "store/member_store.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace refhost {

class MemberStore::PartsApply {
public:
    PartsApply(const PartsApply&) = delete;
    PartsApply& operator=(const PartsApply&) = delete;
    ~PartsApply();

    // The next bytes of the payload. CCDR_INVALID_ARGUMENT past the
    // announced size or after a failed part; CCDR_CORRUPT for an op that
    // does not parse. After a failure only destruction is left.
    ccdr::Status part(std::span<const uint8_t> bytes);
    // See the file comment. Whatever it returns, the object is spent.
    ccdr::Status commit();

    uint64_t tx_id() const { return tx_id_; }
    // Bytes buffered now: the op cut at the end of the last part.
    size_t buffered() const { return carry_.size(); }

private:
    friend class MemberStore;
    PartsApply(Lease lease, WriteLock lock, StoreState state, uint64_t tx_id, int64_t commit_time_ms,
               uint64_t total_bytes);
    ccdr::Status reserve_log_record();
    ccdr::Status write_log_part(std::span<const uint8_t> bytes);
    ccdr::Status apply_whole_ops(std::span<const uint8_t> bytes);
    ccdr::Status fail(ccdr::Status st);

    Lease lease_;     // the connection holding the open write transaction
    WriteLock lock_;  // released after lease_'s transaction ended (declared after it)
    // The transaction's record in the log; cut back out if destroyed unfinished.
    std::unique_ptr<SegmentLog::RecordWriter> record_;
    SegmentLog::Mark log_mark_;  // where the log ended before the record
    StoreState state_;
    IdHighWater ids_;
    const uint64_t tx_id_;
    const int64_t commit_time_ms_;
    const uint64_t total_bytes_;
    uint64_t received_ = 0;
    // The version byte, then the op cut at the end of the last part (empty
    // before the first part).
    std::vector<uint8_t> carry_;
    std::string cut_error_;  // why the carried op did not parse yet
    bool open_ = true;       // the write transaction is open
    bool failed_ = false;
};

}  // namespace refhost
