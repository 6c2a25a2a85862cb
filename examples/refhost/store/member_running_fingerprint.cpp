// examples/refhost/store/member_running_fingerprint.cpp: MemberStore's
// running fingerprint reads and the divergence test hook (kept apart from
// member_store.cpp: they only read the value store_connection keeps).
#include "store/member_store.hpp"

#include <algorithm>

namespace refhost {

ccdr::Result<MemberStore::RunningFingerprintAt> MemberStore::running_fingerprint(uint64_t tx_id) {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_read();
    if (!st) {
        return st;
    }
    // The state row first: it fixes the read snapshot (WAL mode).
    StoreState state;
    st = c.read_state(state);
    if (!st) {
        return st;
    }
    auto now = c.running_value();
    if (!now) {
        return now.status();
    }
    if (!*now) {
        return ccdr::Status(CCDR_UNSUPPORTED, "store " + file_.string() +
                                                  " keeps no running fingerprint (opened with it turned off)");
    }
    if (tx_id == 0 || tx_id == (*now)->tx_id) {
        return RunningFingerprintAt{(*now)->tx_id, (*now)->value.hex()};
    }
    if (tx_id > state.last_tx) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id) +
                                                       " is past the last committed tx " +
                                                       std::to_string(state.last_tx));
    }
    const uint64_t oldest = std::max(state.oldest_retained, log_->first_tx());
    if (tx_id < oldest) {
        return ccdr::Status(CCDR_LOG_PRUNED, "the log no longer holds tx " + std::to_string(tx_id) +
                                                 " (it starts at " + std::to_string(oldest) + ")");
    }
    auto header = log_->header(tx_id);
    if (!header) {
        return header.status();
    }
    RunningSum logged;
    if (!*header || !(*header)->fp ||
        !RunningSum::from_bytes(std::span<const uint8_t>((*header)->fp->data(), 16), logged)) {
        return ccdr::Status(CCDR_LOG_PRUNED, "tx " + std::to_string(tx_id) +
                                                 " was logged without a running fingerprint");
    }
    return RunningFingerprintAt{tx_id, logged.hex()};
}

ccdr::Status MemberStore::apply_unlogged_for_test(std::span<const uint8_t> record) {
    auto lock = lock_for_write();
    if (!lock) {
        return lock.status();
    }
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_write();
    if (!st) {
        return st;
    }
    const StoreState w = written_state();
    IdHighWater ids{w.next_node_id, w.next_rel_id};  // the hook changes existing records only
    st = c.apply_record(record, ids);
    if (st) {
        st = c.fold_fingerprint();
    }
    if (st) {
        st = c.commit();
    }
    if (!st) {
        c.rollback();
    }
    return st;
}

}  // namespace refhost
