// examples/refhost/store/log_replay.hpp: going back in a member's history.
// The refhost keeps no undo records; a member returns to an earlier
// transaction by building its next store generation (graph-<gen>.db beside
// the live file, as a snapshot import does) and replaying its own log from
// tx 1 up to that transaction. The live store is only read: the new file
// becomes live when the caller switches CURRENT (MemberStore::make_live),
// so a failure or a crash before that leaves the member as it was.
#pragma once

#include "store/member_store.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <filesystem>

namespace refhost {

struct RebuiltGeneration {
    std::filesystem::path file;  // not live yet
    uint64_t tx_id = 0;          // its last transaction (= the one asked for)
    int64_t commit_time_ms = 0;  // that transaction's commit time
    uint64_t replayed = 0;       // transactions replayed into it
};

// Builds the next generation of `store`'s directory holding exactly
// transactions 1..to_tx of its log (data, its own log, state row), synced
// to disk. CCDR_LOG_PRUNED (nothing made) when the log does not start at
// tx 1; CCDR_INVALID_ARGUMENT when to_tx is past the last durable tx. On
// any failure the new file is deleted. The caller holds the store's write
// lock (so the log neither grows nor is pruned meanwhile).
ccdr::Result<RebuiltGeneration> rebuild_generation(MemberStore& store, uint64_t to_tx);

}  // namespace refhost
