// plugin/protocol/tx_hash.hpp: the hash of one logged transaction as both
// clusters compute it when internal.dbms.reattachAsReplica looks for the
// last transaction two histories share: xxh3_64 of its payload, seeded with
// xxh3_64 of its id and commit time (both little-endian u64). A transaction replicated from
// one cluster to the other has the same id, time and payload on both sides,
// so the same hash; two histories that diverged differ from the first
// transaction of each side's own.
#pragma once

#include <ccdr/abi.h>

#include <xxhash.h>

#include <cstdint>

namespace ccdr::protocol {

inline uint64_t tx_hash(const ccdr_tx& tx) {
    uint8_t head[16];
    for (int i = 0; i < 8; ++i) {
        head[i] = static_cast<uint8_t>(tx.tx_id >> (8 * i));
        head[8 + i] = static_cast<uint8_t>(static_cast<uint64_t>(tx.commit_time_ms) >> (8 * i));
    }
    // The id and time seed the payload's hash: one pass, no copy.
    return XXH3_64bits_withSeed(tx.payload.data, tx.payload.len, XXH3_64bits(head, sizeof head));
}

}  // namespace ccdr::protocol
