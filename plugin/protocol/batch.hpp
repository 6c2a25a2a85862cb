// plugin/protocol/batch.hpp: a batch of transactions (the payload of a BATCH
// frame) and the hash chain that ties every transaction to the one before.
//
// Batch payload, little-endian:
//   u64 upstream_last_tx        the upstream's last committed tx when sent
//   i64 upstream_last_commit_ms its commit time (upstream clock)
//   i64 sent_at_ms              the upstream's clock when the batch was sent
//   u32 count                   at least 1
//   count times:
//     u64 tx_id, i64 commit_time_ms, u64 chain, u32 length, length bytes
//
// Hash chain: H(n) = xxh3_64(H(n-1) || tx_id || commit_time_ms || payload),
// the integers as 8 little-endian bytes each. The chain of a subscription
// starts from chain_seed(store id, epoch, from_tx), which both sides compute,
// so a stream is bound to its lineage and its starting point. The replica
// recomputes every link before anything is applied: a gap, a reorder or a
// changed byte is reported at the exact tx id.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ccdr::protocol {

inline constexpr size_t kBatchHeaderSize = 8 + 8 + 8 + 4;
inline constexpr size_t kTxRecordOverhead = 8 + 8 + 8 + 4;

struct UpstreamPosition {
    uint64_t last_tx = 0;
    int64_t last_commit_ms = 0;
    int64_t sent_at_ms = 0;
};

// The first link of a subscription's chain (H(from_tx - 1)).
uint64_t chain_seed(std::string_view store_id, uint64_t epoch, uint64_t from_tx);

// One link: H(n) from H(n-1) and tx n.
class ChainHasher {
public:
    uint64_t link(uint64_t previous, const ccdr_tx& tx);

private:
    std::vector<uint8_t> scratch_;
};

// Builds a batch payload, computing the chain as transactions are added.
class BatchBuilder {
public:
    // `chain` is H(first tx - 1); `next_tx` the id the first added tx must have.
    BatchBuilder(uint64_t chain, uint64_t next_tx);

    // Appends a transaction; CCDR_OUT_OF_ORDER unless tx.tx_id is next_tx().
    Status add(const ccdr_tx& tx);
    size_t count() const { return count_; }
    size_t payload_bytes() const { return payload_bytes_; }
    uint64_t chain() const { return chain_; }
    uint64_t next_tx() const { return next_tx_; }
    // The payload; the builder is left empty, ready for the next batch with
    // the chain continuing.
    std::vector<uint8_t> finish(const UpstreamPosition& position);

private:
    ChainHasher hasher_;
    std::vector<uint8_t> records_;
    uint64_t chain_;
    uint64_t next_tx_;
    size_t count_ = 0;
    size_t payload_bytes_ = 0;
};

// A parsed batch. `txs` view into `buffer` (moving the batch keeps them valid).
struct DecodedBatch {
    UpstreamPosition position;
    std::vector<uint8_t> buffer;
    std::vector<ccdr_tx> txs;
    std::vector<uint64_t> chains;
    size_t payload_bytes = 0;  // sum of transaction payload lengths

    uint64_t first_tx() const { return txs.front().tx_id; }
    uint64_t last_tx() const { return txs.back().tx_id; }
};

// Parses the structure (no chain check). CCDR_CORRUPT naming the field and offset.
Result<DecodedBatch> decode_batch(std::vector<uint8_t> payload);

// The receiving end of a chain: verifies batches in order.
class ChainVerifier {
public:
    ChainVerifier(uint64_t seed, uint64_t next_tx) : chain_(seed), next_tx_(next_tx) {}

    // Checks every transaction of the batch: ids continue from next_tx()
    // without gap or reorder, and every chain value matches. On success the
    // verifier advances past the batch; on failure it does not move, and the
    // status (CCDR_CORRUPT) names the first bad tx id.
    Status verify(const DecodedBatch& batch);

    uint64_t next_tx() const { return next_tx_; }
    uint64_t chain() const { return chain_; }

private:
    ChainHasher hasher_;
    uint64_t chain_;
    uint64_t next_tx_;
};

}  // namespace ccdr::protocol
