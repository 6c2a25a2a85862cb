// plugin/protocol/batch.hpp: a batch of transactions (the payload of a BATCH
// frame) and the hash chain that ties every transaction to the one before.
//
// Batch payload, little-endian:
//   u64 upstream_last_tx        the upstream's last committed tx when sent
//   i64 upstream_last_commit_ms its commit time (upstream clock)
//   i64 sent_at_ms              the upstream's clock when the batch was sent
//   u32 count                   at least 1
//   count times:
//     u64 tx_id, i64 commit_time_ms, u32 length, length bytes, u64 chain
//
// Hash chain: H(n) = xxh3_64(H(n-1) || tx n), where tx n is its record up to
// the chain value: tx_id (u64), commit_time_ms (i64), length (u32), payload,
// little-endian. The length is hashed too, so no two transactions hash alike
// by moving bytes between them. The chain value ends each record, so within
// a batch H(n-1) and tx n are adjacent bytes and the sender hashes them in
// place, without a copy. The chain of a subscription starts from
// chain_seed(store id, epoch, from_tx), which both sides compute, so a stream
// is bound to its lineage and its starting point. The replica recomputes
// every link from the parsed fields before anything is applied: a gap, a
// reorder or a changed byte is reported at the exact tx id.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
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
    ChainHasher();
    ChainHasher(const ChainHasher&) = delete;
    ChainHasher& operator=(const ChainHasher&) = delete;
    ~ChainHasher();

    uint64_t link(uint64_t previous, const ccdr_tx& tx);

    // The same link, for a transaction whose payload arrives in pieces
    // (tx_part.hpp): begin() with its fixed fields, update() with each piece
    // in order, digest() once `length` bytes went in. Equal to link() of the
    // whole transaction.
    void begin(uint64_t previous, uint64_t tx_id, int64_t commit_time_ms, uint32_t length);
    void update(std::span<const uint8_t> bytes);
    uint64_t digest();

private:
    // Small transactions are copied behind their 28-byte prefix and hashed in
    // one call (faster than streaming); large ones are streamed, uncopied.
    static constexpr size_t kPrefix = 8 + 8 + 8 + 4;
    static constexpr size_t kCopyLimit = 1024;
    uint8_t scratch_[kPrefix + kCopyLimit];
    struct State;
    State* state_;
};

// Appends tx to `records` in the record layout above with a zero chain
// value, for a BatchBuilder's add_records to chain later (the shared log's
// records, upstream/shared_log.hpp, are chained by each stream). The caller
// checked that the payload fits a u32 length.
void append_unchained_record(std::vector<uint8_t>& records, const ccdr_tx& tx);

// Builds a batch payload, computing the chain as transactions are added.
class BatchBuilder {
public:
    // `chain` is H(first tx - 1); `next_tx` the id the first added tx must
    // have; `capacity` the batch size to reserve room for.
    BatchBuilder(uint64_t chain, uint64_t next_tx, size_t capacity = 0);

    // Appends a transaction; CCDR_OUT_OF_ORDER unless tx.tx_id is next_tx().
    Status add(const ccdr_tx& tx);
    // Appends `count` records already encoded in this layout (by another
    // builder, whatever chain it computed: upstream/shared_log.hpp) and
    // recomputes their chain values as this builder's chain continues.
    // CCDR_OUT_OF_ORDER unless the first is next_tx() and the ids follow
    // each other; CCDR_CORRUPT if the records do not parse. On failure
    // nothing is appended.
    Status add_records(std::span<const uint8_t> records, size_t count);
    // Continues the chain past `tx` without adding it to the batch (a
    // transaction that travels in parts, tx_part.hpp); chain() is then its
    // chain value. CCDR_OUT_OF_ORDER unless tx.tx_id is next_tx().
    Status pass(const ccdr_tx& tx);
    // The same for a transaction whose chain value the caller computed piece
    // by piece from chain() (ChainHasher::begin/update/digest): the payload
    // was never whole in memory.
    Status pass_chained(uint64_t tx_id, uint64_t chain);
    size_t count() const { return count_; }
    size_t payload_bytes() const { return payload_bytes_; }
    uint64_t chain() const { return chain_; }
    uint64_t next_tx() const { return next_tx_; }
    // The payload; the builder is left empty, ready for the next batch with
    // the chain continuing.
    std::vector<uint8_t> finish(const UpstreamPosition& position);
    // Hands back a finished payload's buffer (once sent) so the next batch
    // reuses its memory instead of allocating.
    void recycle(std::vector<uint8_t>&& buffer);
    // The recycled buffer, taken for another payload (a TX_PART's); empty
    // when there is none.
    std::vector<uint8_t> take_spare() { return std::exchange(spare_, {}); }

private:
    void prepare_records();

    ChainHasher hasher_;
    std::vector<uint8_t> records_;  // batch header room, then the records
    std::vector<uint8_t> spare_;    // a recycled buffer for the next batch
    size_t capacity_;
    uint64_t chain_;
    uint64_t next_tx_;
    size_t count_ = 0;
    size_t payload_bytes_ = 0;
};

// A parsed batch. `txs` view into `buffer`: moving the batch keeps them
// valid, copying it points the copy's views into the copy's buffer.
struct DecodedBatch {
    DecodedBatch() = default;
    DecodedBatch(DecodedBatch&&) noexcept = default;
    DecodedBatch& operator=(DecodedBatch&&) noexcept = default;
    DecodedBatch(const DecodedBatch& other) { *this = other; }
    DecodedBatch& operator=(const DecodedBatch& other);
    ~DecodedBatch() = default;

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
    // Moves past tx `tx_id`, whose chain value `chain` the caller computed
    // from chain() piece by piece (a transaction in parts, tx_part.hpp).
    void advance_past(uint64_t tx_id, uint64_t chain) {
        chain_ = chain;
        next_tx_ = tx_id + 1;
    }

    uint64_t next_tx() const { return next_tx_; }
    uint64_t chain() const { return chain_; }

private:
    ChainHasher hasher_;
    uint64_t chain_;
    uint64_t next_tx_;
};

}  // namespace ccdr::protocol
