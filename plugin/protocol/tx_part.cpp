#include "protocol/tx_part.hpp"

#include "protocol/wire.hpp"

#include <cstring>
#include <string>

namespace ccdr::protocol {

std::vector<uint8_t> encode_tx_part(const TxPartHeader& header, std::span<const uint8_t> bytes,
                                    std::optional<uint64_t> chain, std::vector<uint8_t> buffer) {
    buffer.clear();
    buffer.reserve(kTxPartHeaderSize + bytes.size() + 8);
    WireWriter w(buffer);
    w.u64(header.position.last_tx);
    w.i64(header.position.last_commit_ms);
    w.i64(header.position.sent_at_ms);
    w.u64(header.tx_id);
    w.i64(header.commit_time_ms);
    w.u32(header.total_length);
    w.u32(header.offset);
    w.u32(static_cast<uint32_t>(bytes.size()));
    w.raw(bytes.data(), bytes.size());
    if (chain) {
        w.u64(*chain);
    }
    return buffer;
}

Result<TxPart> decode_tx_part(std::vector<uint8_t> payload) {
    TxPart part;
    part.buffer = std::move(payload);
    WireReader r(part.buffer);
    TxPartHeader& h = part.header;
    h.position.last_tx = r.u64("tx part upstream_last_tx");
    h.position.last_commit_ms = r.i64("tx part upstream_last_commit_ms");
    h.position.sent_at_ms = r.i64("tx part sent_at_ms");
    h.tx_id = r.u64("tx part tx_id");
    h.commit_time_ms = r.i64("tx part commit_time_ms");
    h.total_length = r.u32("tx part total_length");
    h.offset = r.u32("tx part offset");
    const uint32_t len = r.u32("tx part length");
    if (r.ok() && len == 0) {
        r.fail("tx part length", "is 0");
    }
    if (r.ok() && (h.offset > h.total_length || len > h.total_length - h.offset)) {
        r.fail("tx part length", "of " + std::to_string(len) + " at offset " + std::to_string(h.offset) +
                                     " passes the transaction's " + std::to_string(h.total_length) + " bytes");
    }
    part.bytes = r.take(len, "tx part bytes");
    if (r.ok() && h.offset + len == h.total_length) {
        part.chain = r.u64("tx part chain");
    }
    r.expect_end("tx part");
    if (!r.ok()) {
        return Status(CCDR_CORRUPT, "malformed tx part: " + r.error());
    }
    return part;
}

Status TxPartVerifier::accept(const TxPart& part, ChainVerifier& chain) {
    const TxPartHeader& h = part.header;
    const std::string at = "tx " + std::to_string(h.tx_id) + " in parts";
    if (part.first()) {
        if (open_) {
            return {CCDR_CORRUPT, "protocol error: tx " + std::to_string(h.tx_id) + " began before the last part of tx " +
                                      std::to_string(tx_id_)};
        }
        if (h.tx_id != chain.next_tx()) {
            const char* kind = h.tx_id > chain.next_tx() ? "gap" : "reorder";
            return {CCDR_CORRUPT, std::string("hash chain broken by a ") + kind + " at tx " +
                                      std::to_string(chain.next_tx()) + ": expected tx " +
                                      std::to_string(chain.next_tx()) + ", received " + at};
        }
        hasher_.begin(chain.chain(), h.tx_id, h.commit_time_ms, h.total_length);
        open_ = true;
        tx_id_ = h.tx_id;
        commit_time_ms_ = h.commit_time_ms;
        total_ = h.total_length;
        received_ = 0;
    } else if (!open_ || h.tx_id != tx_id_ || h.commit_time_ms != commit_time_ms_ || h.total_length != total_ ||
               h.offset != received_) {
        return {CCDR_CORRUPT, "protocol error: part at byte " + std::to_string(h.offset) + " of " + at +
                                  (open_ ? ", expected byte " + std::to_string(received_) + " of tx " +
                                               std::to_string(tx_id_)
                                         : std::string(", with no transaction begun"))};
    }
    hasher_.update(part.bytes);
    if (!part.last()) {
        received_ += static_cast<uint32_t>(part.bytes.size());
        return {};
    }
    const uint64_t computed = hasher_.digest();
    if (computed != *part.chain) {
        return {CCDR_CORRUPT, "hash chain mismatch at tx " + std::to_string(h.tx_id) + " (computed " + hex64(computed) +
                                  ", upstream sent " + hex64(*part.chain) + ")"};
    }
    chain.advance_past(h.tx_id, computed);
    open_ = false;
    return {};
}

void TxPartAssembler::add(const TxPart& part) {
    const TxPartHeader& h = part.header;
    if (part.first()) {
        payload_.clear();
        payload_.reserve(kBatchHeaderSize + kTxRecordOverhead + h.total_length);
        WireWriter w(payload_);
        w.u64(h.position.last_tx);
        w.i64(h.position.last_commit_ms);
        w.i64(h.position.sent_at_ms);
        w.u32(1);
        w.u64(h.tx_id);
        w.i64(h.commit_time_ms);
        w.u32(h.total_length);
    }
    payload_.insert(payload_.end(), part.bytes.begin(), part.bytes.end());
    chain_ = part.chain;
}

Result<DecodedBatch> TxPartAssembler::finish() {
    if (!chain_) {
        return Status(CCDR_INVALID_ARGUMENT, "tx parts: the last part has not arrived");
    }
    WireWriter(payload_).u64(*chain_);
    chain_.reset();
    return decode_batch(std::move(payload_));
}

}  // namespace ccdr::protocol
