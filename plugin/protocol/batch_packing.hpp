// plugin/protocol/batch_packing.hpp: the packed form of a BATCH payload, for
// BATCH frames with a short header (protocol 6, short_frame.hpp).
//
// Why: at 1 000 tx/s a batch holds one transaction, and its integers (the
// upstream's position, the send time, the count, the record's tx id,
// commit time and length: 48 bytes) changed by a little since the batch
// before, which LZ4 turns into short literals and matches of about as many
// bytes. Written as varints of their differences from the batch before on
// the same stream, they take 6 to 10 bytes. Both ends keep the last packed
// batch's values, as they keep the LZ4 history (the stream lives as long as
// the connection; a new connection starts from zero on both sides). A
// BATCH in a full frame keeps the layout of batch.hpp.
//
// Packed payload (varints are LEB128 in their shortest form, at most 10
// bytes; "zz" is a zigzag of the 64-bit difference, wrapping):
//   zz upstream_last_tx        - the previous batch's upstream_last_tx
//   zz upstream_last_commit_ms - the previous batch's upstream_last_commit_ms
//   zz sent_at_ms              - this batch's upstream_last_commit_ms
//   varint count               >= 1
//   count times:
//     zz tx_id - (the previous record's tx_id + 1; the first record's
//        previous one is the previous batch's last)
//     zz commit_time_ms - the previous record's commit_time_ms
//     varint length, length bytes, u64 chain (as in batch.hpp)
//
// Every value round trips exactly (the differences wrap modulo 2^64), so
// unpacking yields the very bytes the upstream's BatchBuilder made, and the
// hash chain over them is checked as for any batch.
#pragma once

#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ccdr::protocol {

// What one end of a stream remembers of the last packed batch.
struct PackingState {
    uint64_t last_tx = 0;         // upstream_last_tx
    uint64_t last_commit_ms = 0;  // upstream_last_commit_ms
    uint64_t record_tx = 0;       // the last record's tx_id
    uint64_t record_commit_ms = 0;
};

class BatchPacker {
public:
    // Packs `batch` (a payload as batch.hpp lays it out) into `out`. On
    // success the state moves past the batch. CCDR_INTERNAL when `batch`
    // does not parse (nothing moves).
    Status pack(std::span<const uint8_t> batch, std::vector<uint8_t>& out);

private:
    PackingState state_;
};

class BatchUnpacker {
public:
    // Unpacks `packed` into `out`, the batch.hpp layout. On success the
    // state moves past the batch. CCDR_CORRUPT naming the field for a
    // malformed payload (nothing moves): a varint that is not in its
    // shortest form or too long, a zero count, a count or length the bytes
    // cannot hold, trailing bytes.
    Status unpack(std::span<const uint8_t> packed, std::vector<uint8_t>& out);

private:
    PackingState state_;
};

}  // namespace ccdr::protocol
