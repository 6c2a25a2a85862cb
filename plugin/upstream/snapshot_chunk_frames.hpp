// plugin/upstream/snapshot_chunk_frames.hpp: the SNAPSHOT_CHUNK frames of a
// store copy, read from the upstream's snapshot spool.
//
// A chunk is read straight into its message's payload (no copy of the data
// into a message), into a buffer of an earlier chunk when one is given (no
// zero-filling of a fresh MiB). LZ4 is tried only while it pays: a store
// file of compressed or random data (a blob store) does not shrink, and
// compressing every MiB of it only to send it as it was costs a pass over
// the bytes per chunk. What a frame carries does not change: a chunk not
// tried travels uncompressed, as one that did not shrink always did.
#pragma once

#include "protocol/frame.hpp"
#include "upstream/snapshot_spools.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <vector>

namespace ccdr::plugin {

// Whether to try LZ4 on the next chunk of one copy. Every chunk is tried
// until one saves less than an eighth; then one chunk in kProbeEvery is
// (data that compresses again is found within that many chunks).
class ChunkCompressionProbe {
public:
    static constexpr uint32_t kProbeEvery = 32;

    explicit ChunkCompressionProbe(bool enabled) : enabled_(enabled) {}

    // Called once per chunk, in order.
    bool try_next() {
        if (!enabled_) {
            return false;
        }
        if (skip_ > 0) {
            --skip_;
            return false;
        }
        return true;
    }
    // A chunk that was tried: `raw` bytes of payload went out as `wire`.
    void tried(size_t raw, size_t wire) {
        if (wire + raw / 8 > raw) {
            skip_ = kProbeEvery - 1;
        }
    }

private:
    bool enabled_;
    uint32_t skip_ = 0;
};

// The SNAPSHOT_CHUNK frame of the `length` bytes at `offset` of `spool`,
// LZ4-compressed when `compress` and that makes it smaller; `buffer` is
// reused for the payload (a previous frame's body or spare). CCDR_IO_ERROR
// when the spool cannot be read or is shorter than announced. Blocks.
Result<protocol::EncodedFrame> frame_snapshot_chunk(const SnapshotSpools& spools, const SnapshotSpool& spool,
                                                    uint64_t offset, uint64_t length, bool compress,
                                                    const protocol::FrameLimits& limits,
                                                    std::vector<uint8_t> buffer = {});

}  // namespace ccdr::plugin
