// examples/refhost/store/segment_log.hpp: a member's transaction log as
// append-only segment files, the store's commit point (member_store.hpp).
//
// A directory holds segments named <first tx, 20 digits>.seg. A segment is a
// 16-byte file header ("CCDRTXL1", its first tx) followed by records:
//
//   0  u32 magic "CTX1"      24  u64 payload length
//   4  u32 flags (1: fp)     32  16 bytes running fingerprint after the tx
//   8  u64 tx id             48  u64 XXH3-64 of bytes 0..48 and the payload
//  16  i64 commit time (ms)  56  payload
//
// (the checksum is XXH3-64 of bytes 0..48 seeded with XXH3-64 of the
// payload, so a payload written in parts is hashed as it goes)
// little-endian, ids consecutive across segments. The writer appends at the
// end of the newest segment and starts a new one when it reaches the
// rotation size (db.tx_log.rotation.size); sync() makes every appended
// record durable (fdatasync of the segments written since the last sync,
// and the directory when a segment was created). Opening scans the newest
// segment record by record and cuts it after its last whole record whose
// checksum holds: a write torn by a crash leaves the log at the last whole
// transaction. Retention removes whole segments, oldest first.
//
// Threads: one writer at a time (the store's write lock) calls append,
// rollback and remove_before; sync() may run concurrently with it (the
// group commit's syncer); readers read concurrently with both.
#pragma once

#include <ccdr/status.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace refhost {

class SegmentLog {
    struct Segment;

public:
    static constexpr size_t kRecordHeader = 56;
    static constexpr size_t kFileHeader = 16;
    static constexpr uint64_t kDefaultRotationBytes = 256ull << 20;

    struct Options {
        uint64_t rotation_bytes = kDefaultRotationBytes;
        bool sync = true;  // false: sync() does nothing (tests without durability)
    };
    // One transaction as the writer hands it in.
    struct Entry {
        uint64_t tx_id = 0;
        int64_t time_ms = 0;
        std::optional<std::array<uint8_t, 16>> fp;
        std::span<const uint8_t> payload;
    };
    // A record's header as read back.
    struct Header {
        uint64_t tx_id = 0;
        int64_t time_ms = 0;
        std::optional<std::array<uint8_t, 16>> fp;
        uint64_t payload_len = 0;
    };
    // What opening found.
    struct OpenReport {
        uint64_t torn_bytes_cut = 0;  // bytes after the last whole record, removed
    };

    // Opens (or creates) the log in `dir`. An empty log's first append
    // carries `next_tx_if_empty`. CCDR_CORRUPT for segments that do not
    // continue each other or a damaged record before the newest segment's tail.
    static ccdr::Result<std::unique_ptr<SegmentLog>> open(const std::filesystem::path& dir, Options options,
                                                          uint64_t next_tx_if_empty, OpenReport* report = nullptr);
    ~SegmentLog();
    SegmentLog(const SegmentLog&) = delete;
    SegmentLog& operator=(const SegmentLog&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    // The oldest record kept (next_tx() when the log is empty).
    uint64_t first_tx() const;
    // The next id to append; last_tx() = next_tx() - 1.
    uint64_t next_tx() const;
    uint64_t last_tx() const { return next_tx() - 1; }
    // Time of the last record (0 when empty).
    int64_t last_time_ms() const;

    // --- the writer ---
    // Where the log ends now; rollback(mark) removes what was appended after.
    struct Mark {
        uint64_t next_tx = 0;
        uint64_t segment_first = 0;
        uint64_t offset = 0;
    };
    Mark mark() const;
    // Appends entries (ids must continue the log) in one write per segment;
    // not durable before sync(). On failure nothing of them stays.
    ccdr::Status append(std::span<const Entry> entries);
    ccdr::Status rollback(const Mark& m);
    // One record written in parts (a replicated transaction larger than a
    // batch, ABI 1.2 apply_tx_*): its room is reserved at the end of the
    // log, each part is written in place, and finish() writes the header
    // that makes it a record (a crash before leaves no header: cut at open).
    // Readers see it only after finish(). Destroyed unfinished, the log is
    // cut back to where it was. The writer appends nothing else meanwhile.
    class RecordWriter {
    public:
        ~RecordWriter();
        RecordWriter(const RecordWriter&) = delete;
        RecordWriter& operator=(const RecordWriter&) = delete;
        // The next bytes of the payload (CCDR_INVALID_ARGUMENT past its length).
        ccdr::Status write(std::span<const uint8_t> bytes);
        // Every byte written: the header goes in, the record joins the log.
        ccdr::Status finish(const std::optional<std::array<uint8_t, 16>>& fp);

    private:
        friend class SegmentLog;
        RecordWriter() = default;
        SegmentLog* log_ = nullptr;
        std::shared_ptr<Segment> seg_;
        Mark mark_;
        uint64_t tx_id_ = 0;
        int64_t time_ms_ = 0;
        uint64_t length_ = 0;
        uint64_t start_ = 0;  // the header's offset
        uint64_t written_ = 0;
        void* hash_ = nullptr;  // XXH3 state of the payload
        bool done_ = false;
    };
    // CCDR_OUT_OF_ORDER unless tx_id continues the log.
    ccdr::Result<std::unique_ptr<RecordWriter>> begin_record(uint64_t tx_id, int64_t time_ms, uint64_t length);
    // Makes every record appended before the call durable.
    ccdr::Status sync();

    // --- readers ---
    // Visits records with from_tx <= id <= to_tx in order until `visit`
    // returns false or max_bytes of payload were visited (at least one).
    // The payload span is valid only during the call. A record whose payload
    // is longer than payload_max is visited with an empty span, its payload
    // neither read nor checked (open_record reads it).
    using Visitor = std::function<bool(const Header&, std::span<const uint8_t> payload)>;
    ccdr::Status read(uint64_t from_tx, uint64_t to_tx, uint64_t max_bytes, const Visitor& visit,
                      uint64_t payload_max = UINT64_MAX) const;
    // One record's payload read in order, in pieces of the caller's size (a
    // transaction larger than a batch, sent as it is read: ABI 1.2
    // log_tx_*). It holds the segment's descriptor, so retention may remove
    // the file meanwhile. The read that delivers the last byte checks the
    // record's checksum (CCDR_CORRUPT).
    class RecordReader {
    public:
        ~RecordReader();
        RecordReader(const RecordReader&) = delete;
        RecordReader& operator=(const RecordReader&) = delete;
        const Header& header() const { return header_; }
        // The next min(into.size(), bytes left) bytes; 0 once all were read.
        ccdr::Result<size_t> read(std::span<uint8_t> into);

    private:
        friend class SegmentLog;
        RecordReader() = default;
        std::shared_ptr<Segment> seg_;
        Header header_;
        uint8_t raw_header_[kRecordHeader] = {};
        uint64_t payload_at_ = 0;  // the payload's offset in the segment file
        uint64_t done_ = 0;
        void* hash_ = nullptr;  // XXH3 state of the payload read so far
    };
    // Null when the log does not hold tx_id.
    ccdr::Result<std::unique_ptr<RecordReader>> open_record(uint64_t tx_id) const;
    // One record's header; nullopt when the log does not hold tx_id.
    ccdr::Result<std::optional<Header>> header(uint64_t tx_id) const;
    // The first kept tx committed at or after `time_ms` (next_tx() if none).
    ccdr::Result<uint64_t> first_at_or_after(int64_t time_ms) const;
    // Payload bytes of the records from tx_id on (0 past the end).
    ccdr::Result<uint64_t> payload_bytes_from(uint64_t tx_id) const;
    // The smallest id from which the newest records' payloads total at most
    // `bytes` (at least the last record is kept).
    ccdr::Result<uint64_t> keep_from_for_bytes(uint64_t bytes) const;

    // --- retention ---
    // Removes whole segments whose every record is below keep_from (never
    // the newest segment). Returns the new first_tx().
    ccdr::Result<uint64_t> remove_before(uint64_t keep_from);
    // Deletes every segment; the next append carries next_tx.
    ccdr::Status reset(uint64_t next_tx);

    // One past the last record of the oldest segment.
    uint64_t oldest_segment_end() const;
    // Total bytes of the segment files.
    uint64_t size_bytes() const;
    size_t segment_count() const;

private:
    struct IndexPoint {
        uint64_t tx_id = 0;
        uint64_t offset = 0;
        int64_t time_ms = 0;
        uint64_t payload_before = 0;  // payload bytes of the segment before this record
    };
    // A segment's counters as of one moment (taken under mu_: the writer
    // moves the newest segment's).
    struct View {
        std::shared_ptr<Segment> seg;
        uint64_t first_tx = 0;
        uint64_t next_tx = 0;
        uint64_t payload_total = 0;
        int64_t last_time_ms = 0;
        uint64_t size = 0;  // file bytes: every record before next_tx is inside
    };
    static View view(const std::shared_ptr<Segment>& s);  // caller holds mu_
    // Every segment's view, oldest first, and next_tx (when asked) of the same moment.
    std::vector<View> views(uint64_t* next_tx) const;
    SegmentLog(std::filesystem::path dir, Options options);
    ccdr::Status load(uint64_t next_tx_if_empty, OpenReport* report);
    ccdr::Status scan(Segment& seg, bool newest, OpenReport* report);
    ccdr::Status start_segment(uint64_t first_tx);
    // `seg` (the newest), or a new segment from next_tx once it is full.
    ccdr::Result<std::shared_ptr<Segment>> segment_for_append(std::shared_ptr<Segment> seg, uint64_t next_tx);
    std::shared_ptr<Segment> find(uint64_t tx_id) const;  // caller holds mu_
    // The segment holding tx_id (null when the log does not) and the record's offset in it.
    ccdr::Status record_of(uint64_t tx_id, std::shared_ptr<Segment>& seg, uint64_t& offset) const;
    // The record `tx_id` of `seg`: its offset and the payload bytes before it.
    ccdr::Status locate(const Segment& seg, uint64_t tx_id, uint64_t& offset, uint64_t& payload_before) const;

    std::filesystem::path dir_;
    Options options_;
    mutable std::mutex mu_;
    std::vector<std::shared_ptr<Segment>> segments_;  // oldest first
    uint64_t next_tx_ = 1;
    int64_t last_time_ms_ = 0;
    std::vector<std::shared_ptr<Segment>> unsynced_;
    bool dir_unsynced_ = false;
};

}  // namespace refhost
