// plugin/protocol/tx_part.hpp: one transaction too large for a batch, sent as
// consecutive TX_PART frames (protocol 5), so that neither side ever holds its
// frame whole and no transaction is too large for ccdr.frame.max_bytes.
//
// Why: a transaction travelled in one record of one BATCH. One that created
// 300 000 nodes made a 22 MiB frame that both plugins held whole (the
// upstream about four times over: the log read, the batch, the compressed
// copy); one over ccdr.frame.max_bytes (64 MiB by default) could not be sent
// at all, and the replica retried forever behind it.
//
// TX_PART payload, little-endian:
//   u64 upstream_last_tx, i64 upstream_last_commit_ms, i64 sent_at_ms
//                          the upstream's position, as in a BATCH
//   u64 tx_id, i64 commit_time_ms
//   u32 total_length       the transaction's payload length
//   u32 offset             bytes of the payload before this part
//   u32 part_length        at least 1; offset + part_length <= total_length
//   part_length bytes
//   u64 chain              only on the last part (offset + part_length ==
//                          total_length): the transaction's chain value
//
// The chain value is the one the transaction would have in a BATCH
// (batch.hpp): H(n-1) || tx_id || commit_time_ms || length || payload, so the
// hash chain is the same whichever way a transaction travels. The receiver
// hashes each part as it arrives and compares on the last one; only then is
// the transaction committed (TxPartVerifier). Parts of one transaction are
// consecutive frames: a BATCH, or the first part of another transaction,
// before the last part is a protocol error.
#pragma once

#include "protocol/batch.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ccdr::protocol {

inline constexpr size_t kTxPartHeaderSize = 8 + 8 + 8 + 8 + 8 + 4 + 4 + 4;

// What a part says besides its bytes.
struct TxPartHeader {
    UpstreamPosition position;
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    uint32_t total_length = 0;
    uint32_t offset = 0;
};

// A part's payload: `bytes` of the transaction from header.offset on, and
// its chain value when those bytes end the transaction. `buffer`'s memory is
// reused when it has room (a previous part's, once written).
std::vector<uint8_t> encode_tx_part(const TxPartHeader& header, std::span<const uint8_t> bytes,
                                    std::optional<uint64_t> chain, std::vector<uint8_t> buffer = {});

// A parsed part. `bytes` views into `buffer`: moving the part keeps it valid.
struct TxPart {
    TxPart() = default;
    TxPart(TxPart&&) noexcept = default;
    TxPart& operator=(TxPart&&) noexcept = default;
    TxPart(const TxPart&) = delete;
    TxPart& operator=(const TxPart&) = delete;

    TxPartHeader header;
    std::vector<uint8_t> buffer;
    std::span<const uint8_t> bytes;
    std::optional<uint64_t> chain;  // set on the last part only

    bool first() const { return header.offset == 0; }
    bool last() const { return chain.has_value(); }
};

// Parses the structure (no chain check). CCDR_CORRUPT naming the field.
Result<TxPart> decode_tx_part(std::vector<uint8_t> payload);

// The receiving end: checks that parts come in order, each transaction
// complete before the next starts, and verifies the chain value on the last
// part against `chain`, which it then moves past the transaction.
class TxPartVerifier {
public:
    // CCDR_CORRUPT naming the tx and what is wrong; the verifier does not
    // move on failure (the session ends).
    Status accept(const TxPart& part, ChainVerifier& chain);
    // A transaction's first part was accepted and its last not yet.
    bool open() const { return open_; }
    uint64_t open_tx() const { return tx_id_; }

private:
    ChainHasher hasher_;
    bool open_ = false;
    uint64_t tx_id_ = 0;
    int64_t commit_time_ms_ = 0;
    uint32_t total_ = 0;
    uint32_t received_ = 0;
};

// Puts a transaction's parts back together as a batch of one (a delayed
// replica spools whole batches: delay_spool.hpp). Holds the transaction whole.
class TxPartAssembler {
public:
    // Parts in order, as TxPartVerifier accepted them.
    void add(const TxPart& part);
    // After the last part: the batch of that one transaction.
    Result<DecodedBatch> finish();

private:
    std::vector<uint8_t> payload_;
    std::optional<uint64_t> chain_;
};

}  // namespace ccdr::protocol
