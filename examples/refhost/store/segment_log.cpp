#include "store/segment_log.hpp"

#include "store/file_util.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace refhost {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kRecordMagic = 0x31585443;  // "CTX1"
constexpr char kFileMagic[8] = {'C', 'C', 'D', 'R', 'T', 'X', 'L', '1'};
constexpr uint32_t kFlagFp = 1;
// A sparse index point every this many bytes or records of a segment: a
// lookup scans at most that much of headers.
constexpr uint64_t kIndexEveryBytes = 64 << 10;
constexpr uint64_t kIndexEveryRecords = 256;
constexpr size_t kReadBuffer = 1 << 20;
constexpr size_t kRecentRecords = 64;

void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

uint64_t record_checksum_of(const uint8_t* header, uint64_t payload_hash) {
    return XXH3_64bits_withSeed(header, 48, payload_hash);
}

uint64_t record_checksum(const uint8_t* header, std::span<const uint8_t> payload) {
    return record_checksum_of(header, XXH3_64bits(payload.data(), payload.size()));
}

// The header of a record whose payload hashes to payload_hash.
void encode_header(uint64_t tx_id, int64_t time_ms, uint64_t length,
                   const std::optional<std::array<uint8_t, 16>>& fp, uint64_t payload_hash, uint8_t* h) {
    std::memset(h, 0, SegmentLog::kRecordHeader);
    put_u32(h, kRecordMagic);
    put_u32(h + 4, fp ? kFlagFp : 0);
    put_u64(h + 8, tx_id);
    put_u64(h + 16, static_cast<uint64_t>(time_ms));
    put_u64(h + 24, length);
    if (fp) {
        std::memcpy(h + 32, fp->data(), 16);
    }
    put_u64(h + 48, record_checksum_of(h, payload_hash));
}

void encode_header(const SegmentLog::Entry& e, uint8_t* h) {
    encode_header(e.tx_id, e.time_ms, e.payload.size(), e.fp, XXH3_64bits(e.payload.data(), e.payload.size()), h);
}

// Parses a header; false when it is not one (wrong magic).
bool decode_header(const uint8_t* h, SegmentLog::Header& out) {
    if (get_u32(h) != kRecordMagic) {
        return false;
    }
    out.tx_id = get_u64(h + 8);
    out.time_ms = static_cast<int64_t>(get_u64(h + 16));
    out.payload_len = get_u64(h + 24);
    out.fp.reset();
    if (get_u32(h + 4) & kFlagFp) {
        std::array<uint8_t, 16> fp;
        std::memcpy(fp.data(), h + 32, 16);
        out.fp = fp;
    }
    return true;
}

std::string segment_name(uint64_t first_tx) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%020llu.seg", static_cast<unsigned long long>(first_tx));
    return buf;
}

ccdr::Status io_error(const std::string& what, const fs::path& p, int err) {
    return {CCDR_IO_ERROR, what + " " + p.string() + ": " + std::strerror(err)};
}

// pread of exactly n bytes; false at end of file (short read).
ccdr::Result<bool> read_exact(int fd, uint8_t* buf, size_t n, uint64_t offset, const fs::path& p) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return io_error("reading", p, errno);
        }
        if (r == 0) {
            return false;
        }
        done += static_cast<size_t>(r);
    }
    return true;
}

// The header of record `tx` at `offset` of a segment file; CCDR_CORRUPT
// when none is there (a segment is only read where its index says records
// are). `raw`, if given, receives the header's bytes.
ccdr::Result<SegmentLog::Header> header_at(int fd, const fs::path& p, uint64_t offset, uint64_t tx,
                                           uint8_t* raw = nullptr) {
    uint8_t own[SegmentLog::kRecordHeader];
    uint8_t* h = raw != nullptr ? raw : own;
    auto ok = read_exact(fd, h, SegmentLog::kRecordHeader, offset, p);
    if (!ok) return ok.status();
    SegmentLog::Header hd;
    if (!*ok || !decode_header(h, hd) || hd.tx_id != tx) {
        return ccdr::Status(CCDR_CORRUPT, p.filename().string() + ": no record of tx " + std::to_string(tx) +
                                              " at byte " + std::to_string(offset));
    }
    return hd;
}

// Walks the record headers of a segment from record `tx` at `offset` up to
// record `to_tx`, adding their payload lengths to `payload_before`. The
// stretch is read a chunk at a time, not a pread per header: the walk starts
// at an index point at most kIndexEveryBytes back, so it is mostly one read
// where it was up to kIndexEveryRecords (an upstream's pruning pass walks
// once for each replica member it holds its log for).
ccdr::Status walk_headers(int fd, const fs::path& p, uint64_t to_tx, uint64_t& tx, uint64_t& offset,
                          uint64_t& payload_before) {
    thread_local std::unique_ptr<uint8_t[]> chunk(new uint8_t[kIndexEveryBytes]);
    uint64_t chunk_at = 0;
    size_t chunk_len = 0;
    while (tx < to_tx) {
        if (offset < chunk_at || offset + SegmentLog::kRecordHeader > chunk_at + chunk_len) {
            ssize_t r = 0;
            do {
                r = ::pread(fd, chunk.get(), kIndexEveryBytes, static_cast<off_t>(offset));
            } while (r < 0 && errno == EINTR);
            if (r < 0) {
                return io_error("reading", p, errno);
            }
            chunk_at = offset;
            chunk_len = static_cast<size_t>(r);
        }
        SegmentLog::Header hd;
        if (offset + SegmentLog::kRecordHeader > chunk_at + chunk_len ||
            !decode_header(chunk.get() + (offset - chunk_at), hd) || hd.tx_id != tx) {
            return ccdr::Status(CCDR_CORRUPT, p.filename().string() + ": no record of tx " + std::to_string(tx) +
                                                  " at byte " + std::to_string(offset));
        }
        payload_before += hd.payload_len;
        offset += SegmentLog::kRecordHeader + hd.payload_len;
        ++tx;
    }
    return {};
}

}  // namespace

struct SegmentLog::Segment {
    fs::path path;
    int fd = -1;
    uint64_t first_tx = 0;
    uint64_t next_tx = 0;  // one past its last record
    uint64_t size = 0;     // file bytes
    uint64_t payload_total = 0;
    int64_t last_time_ms = 0;
    uint64_t records_since_point = 0;
    std::vector<IndexPoint> index;
    // The newest records' positions, by tx id modulo the size: a reader of
    // what was just committed (every commit on a streaming upstream) finds
    // it without walking headers from the last index point.
    std::array<IndexPoint, kRecentRecords> recent{};
    bool dirty = false;  // appended since the last sync
    ~Segment() {
        if (fd >= 0) ::close(fd);
    }
    void note_record(uint64_t tx, uint64_t offset, int64_t time, uint64_t payload_len) {
        if (index.empty() || offset - index.back().offset >= kIndexEveryBytes ||
            records_since_point >= kIndexEveryRecords) {
            index.push_back({tx, offset, time, payload_total});
            records_since_point = 0;
        }
        ++records_since_point;
        recent[tx % kRecentRecords] = {tx, offset, time, payload_total};
        payload_total += payload_len;
        last_time_ms = time;
        next_tx = tx + 1;
        size = offset + kRecordHeader + payload_len;
    }
};

SegmentLog::View SegmentLog::view(const std::shared_ptr<Segment>& s) {
    return {s, s->first_tx, s->next_tx, s->payload_total, s->last_time_ms, s->size};
}

std::vector<SegmentLog::View> SegmentLog::views(uint64_t* next_tx) const {
    std::lock_guard lock(mu_);
    std::vector<View> out;
    out.reserve(segments_.size());
    for (const auto& s : segments_) out.push_back(view(s));
    if (next_tx != nullptr) *next_tx = next_tx_;
    return out;
}

SegmentLog::SegmentLog(fs::path dir, Options options) : dir_(std::move(dir)), options_(options) {}
SegmentLog::~SegmentLog() = default;

ccdr::Result<std::unique_ptr<SegmentLog>> SegmentLog::open(const fs::path& dir, Options options,
                                                           uint64_t next_tx_if_empty, OpenReport* report) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot create the log directory " + dir.string() + ": " + ec.message());
    }
    std::unique_ptr<SegmentLog> log(new SegmentLog(dir, options));
    OpenReport local;
    ccdr::Status st = log->load(next_tx_if_empty, &local);
    if (!st) {
        return st.with_context("opening the transaction log " + dir.string());
    }
    if (report) {
        *report = local;
    }
    return log;
}

ccdr::Status SegmentLog::load(uint64_t next_tx_if_empty, OpenReport* report) {
    std::vector<std::pair<uint64_t, fs::path>> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
        std::string name = e.path().filename().string();
        if (name.size() != 24 || name.compare(20, 4, ".seg") != 0 ||
            !std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) {
            continue;
        }
        found.emplace_back(std::stoull(name.substr(0, 20)), e.path());
    }
    if (ec) {
        return {CCDR_IO_ERROR, "listing " + dir_.string() + ": " + ec.message()};
    }
    std::sort(found.begin(), found.end());
    next_tx_ = next_tx_if_empty;
    for (size_t i = 0; i < found.size(); ++i) {
        auto seg = std::make_shared<Segment>();
        seg->path = found[i].second;
        seg->first_tx = found[i].first;
        seg->next_tx = seg->first_tx;
        seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CLOEXEC);
        if (seg->fd < 0) {
            return io_error("opening", seg->path, errno);
        }
        if (!segments_.empty() && seg->first_tx != segments_.back()->next_tx) {
            return {CCDR_CORRUPT, seg->path.filename().string() + " does not continue the log (expected tx " +
                                      std::to_string(segments_.back()->next_tx) + ")"};
        }
        // The two newest segments may end in a write a crash tore (a
        // rotation starts the next one before the older is synced).
        bool may_be_torn = i + 2 >= found.size();
        const uint64_t cut_before = report->torn_bytes_cut;
        ccdr::Status st = scan(*seg, may_be_torn, report);
        if (!st) {
            return st;
        }
        const bool cut = report->torn_bytes_cut > cut_before || seg->size < kFileHeader;
        segments_.push_back(seg);
        if (cut) {
            // Nothing after a cut can be trusted: later segments continue
            // past records that are gone.
            for (size_t j = i + 1; j < found.size(); ++j) {
                fs::remove(found[j].second, ec);
            }
            break;
        }
    }
    if (!segments_.empty()) {
        auto& newest = segments_.back();
        if (newest->size < kFileHeader) {
            // Created, header never written whole: as if never created.
            fs::remove(newest->path, ec);
            segments_.pop_back();
        }
    }
    if (!segments_.empty()) {
        next_tx_ = segments_.back()->next_tx;
        last_time_ms_ = segments_.back()->last_time_ms;
        for (auto it = segments_.rbegin(); it != segments_.rend() && last_time_ms_ == 0; ++it) {
            last_time_ms_ = (*it)->last_time_ms;
        }
    }
    return {};
}

ccdr::Status SegmentLog::scan(Segment& seg, bool may_be_torn, OpenReport* report) {
    struct stat sb {};
    if (::fstat(seg.fd, &sb) != 0) {
        return io_error("reading the size of", seg.path, errno);
    }
    const uint64_t file_size = static_cast<uint64_t>(sb.st_size);
    auto cut_at = [&](uint64_t offset, const std::string& why) -> ccdr::Status {
        if (!may_be_torn) {
            return {CCDR_CORRUPT, seg.path.filename().string() + " is damaged at byte " + std::to_string(offset) +
                                      ": " + why};
        }
        if (::ftruncate(seg.fd, static_cast<off_t>(offset)) != 0) {
            return io_error("cutting the torn end of", seg.path, errno);
        }
        report->torn_bytes_cut += file_size - offset;
        seg.size = offset;
        return {};
    };
    uint8_t fh[kFileHeader];
    auto got = read_exact(seg.fd, fh, kFileHeader, 0, seg.path);
    if (!got) return got.status();
    if (!*got || std::memcmp(fh, kFileMagic, 8) != 0 || get_u64(fh + 8) != seg.first_tx) {
        if (!*got) {
            seg.size = 0;
            return cut_at(0, "no file header");
        }
        return {CCDR_CORRUPT, seg.path.filename().string() + " has no valid segment header"};
    }
    seg.size = kFileHeader;
    std::vector<uint8_t> buf(kReadBuffer);
    uint64_t offset = kFileHeader;
    while (offset < file_size) {
        if (file_size - offset < kRecordHeader) {
            return cut_at(offset, "a record header cut short");
        }
        uint8_t h[kRecordHeader];
        auto ok = read_exact(seg.fd, h, kRecordHeader, offset, seg.path);
        if (!ok) return ok.status();
        Header hd;
        if (!*ok || !decode_header(h, hd)) {
            return cut_at(offset, "no record header");
        }
        if (hd.tx_id != seg.next_tx) {
            return cut_at(offset, "tx " + std::to_string(hd.tx_id) + " where " + std::to_string(seg.next_tx) +
                                      " was expected");
        }
        if (hd.payload_len > file_size - offset - kRecordHeader) {
            return cut_at(offset, "tx " + std::to_string(hd.tx_id) + " cut short");
        }
        if (may_be_torn) {
            if (buf.size() < hd.payload_len) buf.resize(hd.payload_len);
            auto pl = read_exact(seg.fd, buf.data(), hd.payload_len, offset + kRecordHeader, seg.path);
            if (!pl) return pl.status();
            if (!*pl || record_checksum(h, {buf.data(), hd.payload_len}) != get_u64(h + 48)) {
                return cut_at(offset, "tx " + std::to_string(hd.tx_id) + " fails its checksum");
            }
            if (buf.size() > kReadBuffer) {
                buf.resize(kReadBuffer);
                buf.shrink_to_fit();
            }
        }
        seg.note_record(hd.tx_id, offset, hd.time_ms, hd.payload_len);
        offset = seg.size;
    }
    return {};
}

uint64_t SegmentLog::first_tx() const {
    std::lock_guard lock(mu_);
    return segments_.empty() ? next_tx_ : segments_.front()->first_tx;
}

uint64_t SegmentLog::next_tx() const {
    std::lock_guard lock(mu_);
    return next_tx_;
}

int64_t SegmentLog::last_time_ms() const {
    std::lock_guard lock(mu_);
    return last_time_ms_;
}

uint64_t SegmentLog::size_bytes() const {
    std::lock_guard lock(mu_);
    uint64_t total = 0;
    for (const auto& s : segments_) total += s->size;
    return total;
}

uint64_t SegmentLog::oldest_segment_end() const {
    std::lock_guard lock(mu_);
    return segments_.empty() ? next_tx_ : segments_.front()->next_tx;
}

size_t SegmentLog::segment_count() const {
    std::lock_guard lock(mu_);
    return segments_.size();
}

SegmentLog::Mark SegmentLog::mark() const {
    std::lock_guard lock(mu_);
    Mark m;
    m.next_tx = next_tx_;
    if (!segments_.empty()) {
        m.segment_first = segments_.back()->first_tx;
        m.offset = segments_.back()->size;
    }
    return m;
}

ccdr::Status SegmentLog::start_segment(uint64_t first_tx) {
    auto seg = std::make_shared<Segment>();
    seg->path = dir_ / segment_name(first_tx);
    seg->first_tx = first_tx;
    seg->next_tx = first_tx;
    seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (seg->fd < 0) {
        return io_error("creating", seg->path, errno);
    }
    uint8_t fh[kFileHeader];
    std::memcpy(fh, kFileMagic, 8);
    put_u64(fh + 8, first_tx);
    if (::pwrite(seg->fd, fh, kFileHeader, 0) != static_cast<ssize_t>(kFileHeader)) {
        int err = errno;
        std::error_code ec;
        fs::remove(seg->path, ec);
        return io_error("writing the header of", seg->path, err);
    }
    seg->size = kFileHeader;
    std::lock_guard lock(mu_);
    segments_.push_back(seg);
    dir_unsynced_ = true;
    if (!seg->dirty) {
        seg->dirty = true;
        unsynced_.push_back(seg);
    }
    return {};
}

ccdr::Status SegmentLog::append(std::span<const Entry> entries) {
    if (entries.empty()) {
        return {};
    }
    std::shared_ptr<Segment> seg;
    uint64_t expected = 0;
    {
        std::lock_guard lock(mu_);
        expected = next_tx_;
        if (!segments_.empty()) seg = segments_.back();
    }
    for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].tx_id != expected + i) {
            return {CCDR_OUT_OF_ORDER, "the log continues at tx " + std::to_string(expected + i) + ", not " +
                                           std::to_string(entries[i].tx_id)};
        }
    }
    auto current = segment_for_append(seg, expected);
    if (!current) return current.status();
    seg = *current;
    std::vector<std::array<uint8_t, kRecordHeader>> headers(entries.size());
    std::vector<iovec> iov;
    iov.reserve(entries.size() * 2);
    for (size_t i = 0; i < entries.size(); ++i) {
        encode_header(entries[i], headers[i].data());
        iov.push_back({headers[i].data(), kRecordHeader});
        if (!entries[i].payload.empty()) {
            iov.push_back({const_cast<uint8_t*>(entries[i].payload.data()), entries[i].payload.size()});
        }
    }
    const uint64_t start = seg->size;
    uint64_t offset = start;
    size_t next = 0;
    while (next < iov.size()) {
        int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
        ssize_t w = ::pwritev(seg->fd, iov.data() + next, count, static_cast<off_t>(offset));
        if (w < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            (void)::ftruncate(seg->fd, static_cast<off_t>(start));
            return io_error("appending to", seg->path, err);
        }
        offset += static_cast<uint64_t>(w);
        // Skip what was written whole; a partial iovec continues where it stopped.
        size_t left = static_cast<size_t>(w);
        while (next < iov.size() && left >= iov[next].iov_len) {
            left -= iov[next].iov_len;
            ++next;
        }
        if (left > 0) {
            iov[next].iov_base = static_cast<uint8_t*>(iov[next].iov_base) + left;
            iov[next].iov_len -= left;
        }
    }
    std::lock_guard lock(mu_);
    uint64_t at = start;
    for (const auto& e : entries) {
        seg->note_record(e.tx_id, at, e.time_ms, e.payload.size());
        at = seg->size;
    }
    next_tx_ = entries.back().tx_id + 1;
    last_time_ms_ = entries.back().time_ms;
    if (!seg->dirty) {
        seg->dirty = true;
        unsynced_.push_back(seg);
    }
    return {};
}

ccdr::Result<std::shared_ptr<SegmentLog::Segment>> SegmentLog::segment_for_append(std::shared_ptr<Segment> seg,
                                                                                 uint64_t next_tx) {
    if (!seg || (seg->size >= options_.rotation_bytes && seg->next_tx > seg->first_tx)) {
        ccdr::Status st = start_segment(next_tx);
        if (!st) return st;
        std::lock_guard lock(mu_);
        seg = segments_.back();
    }
    return seg;
}

ccdr::Result<std::unique_ptr<SegmentLog::RecordWriter>> SegmentLog::begin_record(uint64_t tx_id, int64_t time_ms,
                                                                                 uint64_t length) {
    std::shared_ptr<Segment> seg;
    uint64_t expected = 0;
    {
        std::lock_guard lock(mu_);
        expected = next_tx_;
        if (!segments_.empty()) seg = segments_.back();
    }
    if (tx_id != expected) {
        return ccdr::Status(CCDR_OUT_OF_ORDER, "the log continues at tx " + std::to_string(expected) + ", not " +
                                                   std::to_string(tx_id));
    }
    const Mark m = mark();
    auto current = segment_for_append(seg, expected);
    if (!current) return current.status();
    std::unique_ptr<RecordWriter> w(new RecordWriter());
    w->log_ = this;
    w->seg_ = *current;
    w->mark_ = m;
    w->tx_id_ = tx_id;
    w->time_ms_ = time_ms;
    w->length_ = length;
    w->start_ = w->seg_->size;
    auto* state = XXH3_createState();
    if (state == nullptr || XXH3_64bits_reset(state) != XXH_OK) {
        XXH3_freeState(state);
        return ccdr::Status(CCDR_INTERNAL, "cannot start hashing a log record");
    }
    w->hash_ = state;
    // Zeros where the header goes: until finish() the room is no record.
    uint8_t zeros[kRecordHeader] = {};
    if (::pwrite(w->seg_->fd, zeros, kRecordHeader, static_cast<off_t>(w->start_)) !=
        static_cast<ssize_t>(kRecordHeader)) {
        return io_error("reserving a record in", w->seg_->path, errno);
    }
    return w;
}

SegmentLog::RecordWriter::~RecordWriter() {
    if (hash_ != nullptr) {
        XXH3_freeState(static_cast<XXH3_state_t*>(hash_));
    }
    if (!done_ && log_ != nullptr) {
        (void)log_->rollback(mark_);
        (void)::ftruncate(seg_->fd, static_cast<off_t>(start_));
    }
}

ccdr::Status SegmentLog::RecordWriter::write(std::span<const uint8_t> bytes) {
    if (done_ || bytes.size() > length_ - written_) {
        return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id_) + ": " + std::to_string(bytes.size()) +
                                           " more bytes do not fit its record of " + std::to_string(length_)};
    }
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t w = ::pwrite(seg_->fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(start_ + kRecordHeader + written_ + done));
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_error("writing tx " + std::to_string(tx_id_) + " to", seg_->path, errno);
        }
        done += static_cast<size_t>(w);
    }
    (void)XXH3_64bits_update(static_cast<XXH3_state_t*>(hash_), bytes.data(), bytes.size());
    written_ += bytes.size();
    return {};
}

ccdr::Status SegmentLog::RecordWriter::finish(const std::optional<std::array<uint8_t, 16>>& fp) {
    if (done_ || written_ != length_) {
        return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id_) + ": its record holds " +
                                           std::to_string(written_) + " of " + std::to_string(length_) + " bytes"};
    }
    uint8_t h[kRecordHeader];
    encode_header(tx_id_, time_ms_, length_, fp, XXH3_64bits_digest(static_cast<XXH3_state_t*>(hash_)), h);
    if (::pwrite(seg_->fd, h, kRecordHeader, static_cast<off_t>(start_)) != static_cast<ssize_t>(kRecordHeader)) {
        return io_error("finishing tx " + std::to_string(tx_id_) + " in", seg_->path, errno);
    }
    done_ = true;
    std::lock_guard lock(log_->mu_);
    seg_->note_record(tx_id_, start_, time_ms_, length_);
    log_->next_tx_ = tx_id_ + 1;
    log_->last_time_ms_ = time_ms_;
    if (!seg_->dirty) {
        seg_->dirty = true;
        log_->unsynced_.push_back(seg_);
    }
    return {};
}

ccdr::Status SegmentLog::rollback(const Mark& m) {
    std::lock_guard lock(mu_);
    while (!segments_.empty() && segments_.back()->first_tx > m.segment_first && segments_.back()->first_tx >= m.next_tx) {
        std::error_code ec;
        fs::remove(segments_.back()->path, ec);
        segments_.pop_back();
    }
    if (!segments_.empty() && segments_.back()->first_tx == m.segment_first && segments_.back()->size > m.offset) {
        auto& seg = *segments_.back();
        if (::ftruncate(seg.fd, static_cast<off_t>(m.offset)) != 0) {
            return io_error("undoing an append to", seg.path, errno);
        }
        // Rebuild the segment's counters from its index and a header scan is
        // not needed: the mark's records are exactly the ones before offset.
        while (!seg.index.empty() && seg.index.back().offset >= m.offset) {
            seg.index.pop_back();
        }
        seg.size = m.offset;
        seg.next_tx = m.next_tx;
        for (auto& r : seg.recent) {
            if (r.tx_id >= m.next_tx) r = {};
        }
        // payload_total and last_time_ms: recount from the last index point.
        uint64_t off = seg.index.empty() ? kFileHeader : seg.index.back().offset;
        seg.payload_total = seg.index.empty() ? 0 : seg.index.back().payload_before;
        seg.records_since_point = 0;
        seg.last_time_ms = 0;
        while (off < seg.size) {
            uint8_t h[kRecordHeader];
            auto ok = read_exact(seg.fd, h, kRecordHeader, off, seg.path);
            Header hd;
            if (!ok || !*ok || !decode_header(h, hd)) {
                return {CCDR_CORRUPT, "re-reading " + seg.path.string() + " after an undone append"};
            }
            ++seg.records_since_point;
            seg.payload_total += hd.payload_len;
            seg.last_time_ms = hd.time_ms;
            off += kRecordHeader + hd.payload_len;
        }
    }
    next_tx_ = m.next_tx;
    last_time_ms_ = segments_.empty() ? 0 : segments_.back()->last_time_ms;
    return {};
}

ccdr::Status SegmentLog::sync() {
    std::vector<std::shared_ptr<Segment>> files;
    bool dir = false;
    {
        std::lock_guard lock(mu_);
        files.swap(unsynced_);
        for (auto& f : files) f->dirty = false;
        dir = dir_unsynced_;
        dir_unsynced_ = false;
    }
    if (!options_.sync) {
        return {};
    }
    ccdr::Status st;
    for (auto& f : files) {
        if (::fdatasync(f->fd) != 0) {
            st = io_error("syncing", f->path, errno);
            break;
        }
    }
    if (st && dir) {
        st = fsync_path(dir_);
    }
    if (!st) {
        std::lock_guard lock(mu_);
        for (auto& f : files) {
            if (!f->dirty) {
                f->dirty = true;
                unsynced_.push_back(f);
            }
        }
        dir_unsynced_ = dir_unsynced_ || dir;
    }
    return st;
}

std::shared_ptr<SegmentLog::Segment> SegmentLog::find(uint64_t tx_id) const {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), tx_id,
                               [](uint64_t t, const std::shared_ptr<Segment>& s) { return t < s->first_tx; });
    if (it == segments_.begin()) {
        return nullptr;
    }
    auto seg = *(it - 1);
    return tx_id < seg->next_tx ? seg : nullptr;
}

ccdr::Status SegmentLog::locate(const Segment& seg, uint64_t tx_id, uint64_t& offset,
                                uint64_t& payload_before) const {
    IndexPoint start;
    {
        // The writer extends the newest segment's index meanwhile.
        std::lock_guard lock(mu_);
        auto it = std::upper_bound(seg.index.begin(), seg.index.end(), tx_id,
                                   [](uint64_t t, const IndexPoint& p) { return t < p.tx_id; });
        if (it == seg.index.begin()) {
            return {CCDR_INTERNAL, "tx " + std::to_string(tx_id) + " is not indexed in " + seg.path.string()};
        }
        start = *(it - 1);
        const IndexPoint& recent = seg.recent[tx_id % kRecentRecords];
        if (recent.tx_id == tx_id && tx_id > start.tx_id) {
            start = recent;
        }
    }
    offset = start.offset;
    payload_before = start.payload_before;
    uint64_t tx = start.tx_id;
    return walk_headers(seg.fd, seg.path, tx_id, tx, offset, payload_before);
}

ccdr::Status SegmentLog::read(uint64_t from_tx, uint64_t to_tx, uint64_t max_bytes, const Visitor& visit,
                              uint64_t payload_max) const {
    std::vector<View> segs;
    uint64_t end = 0;
    {
        std::lock_guard lock(mu_);
        end = to_tx >= next_tx_ ? next_tx_ : to_tx + 1;
        auto first = find(from_tx);
        if (!first || from_tx >= end) {
            return {};
        }
        for (const auto& s : segments_) {
            if (s->first_tx >= first->first_tx && s->first_tx < end) segs.push_back(view(s));
        }
    }
    // One buffer per reading thread, kept: a fresh 1 MiB per call (one per
    // commit on a busy upstream) cost a zero-fill and page faults each time.
    thread_local std::unique_ptr<uint8_t[]> thread_buf(new uint8_t[kReadBuffer]);
    uint8_t* const buf = thread_buf.get();
    uint64_t visited = 0;
    uint64_t tx = from_tx;
    for (size_t si = 0; si < segs.size() && tx < end; ++si) {
        const Segment& seg = *segs[si].seg;
        const uint64_t seg_next = segs[si].next_tx;
        const uint64_t seg_size = segs[si].size;
        uint64_t offset = kFileHeader;
        if (si == 0) {
            uint64_t before = 0;
            ccdr::Status st = locate(seg, from_tx, offset, before);
            if (!st) return st;
        }
        // buf holds the file's bytes [buf_start, buf_start + buf_len).
        uint64_t buf_start = offset;
        size_t buf_len = 0;
        while (tx < end && tx < seg_next) {
            if (offset + kRecordHeader > buf_start + buf_len) {
                buf_start = offset;
                // Only what the snapshot of the segment holds: a read of the
                // newest transactions is a few hundred bytes.
                const size_t want = static_cast<size_t>(std::min<uint64_t>(kReadBuffer, seg_size - offset));
                ssize_t r = ::pread(seg.fd, buf, want, static_cast<off_t>(offset));
                if (r < 0) {
                    if (errno == EINTR) continue;
                    return io_error("reading", seg.path, errno);
                }
                buf_len = static_cast<size_t>(r);
                if (buf_len < kRecordHeader) {
                    return {CCDR_CORRUPT, seg.path.filename().string() + " ends inside tx " + std::to_string(tx)};
                }
            }
            const uint8_t* h = buf + (offset - buf_start);
            Header hd;
            if (!decode_header(h, hd) || hd.tx_id != tx) {
                return {CCDR_CORRUPT, seg.path.filename().string() + ": no record of tx " + std::to_string(tx) +
                                          " at byte " + std::to_string(offset)};
            }
            const uint64_t record_end = offset + kRecordHeader + hd.payload_len;
            if (hd.payload_len > payload_max) {
                // Visited without its payload: the caller reads it in pieces.
                if (tx > from_tx && visited + hd.payload_len > max_bytes) {
                    return {};
                }
                visited += hd.payload_len;
                if (!visit(hd, {}) || visited >= max_bytes) {
                    return {};
                }
                offset = record_end;
                ++tx;
                continue;
            }
            std::span<const uint8_t> payload;
            std::vector<uint8_t> big;
            if (record_end <= buf_start + buf_len) {
                payload = {h + kRecordHeader, hd.payload_len};
            } else if (kRecordHeader + hd.payload_len <= kReadBuffer) {
                buf_start = offset;
                buf_len = 0;
                continue;  // refill from this record's start
            } else {
                big.resize(hd.payload_len);
                auto ok = read_exact(seg.fd, big.data(), big.size(), offset + kRecordHeader, seg.path);
                if (!ok) return ok.status();
                if (!*ok) {
                    return {CCDR_CORRUPT, seg.path.filename().string() + " ends inside tx " + std::to_string(tx)};
                }
                payload = big;
            }
            uint8_t hcopy[kRecordHeader];
            std::memcpy(hcopy, h, kRecordHeader);
            if (record_checksum(hcopy, payload) != get_u64(hcopy + 48)) {
                return {CCDR_CORRUPT, seg.path.filename().string() + ": tx " + std::to_string(tx) +
                                          " fails its checksum"};
            }
            if (tx > from_tx && visited + hd.payload_len > max_bytes) {
                return {};
            }
            visited += hd.payload_len;
            if (!visit(hd, payload) || visited >= max_bytes) {
                return {};
            }
            offset = record_end;
            ++tx;
        }
    }
    return {};
}

ccdr::Status SegmentLog::record_of(uint64_t tx_id, std::shared_ptr<Segment>& seg, uint64_t& offset) const {
    {
        std::lock_guard lock(mu_);
        seg = find(tx_id);
    }
    if (!seg) {
        return {};
    }
    uint64_t before = 0;
    return locate(*seg, tx_id, offset, before);
}

ccdr::Result<std::unique_ptr<SegmentLog::RecordReader>> SegmentLog::open_record(uint64_t tx_id) const {
    std::shared_ptr<Segment> seg;
    uint64_t offset = 0;
    if (ccdr::Status st = record_of(tx_id, seg, offset); !st || !seg) {
        if (!st) return st;
        return std::unique_ptr<RecordReader>();
    }
    std::unique_ptr<RecordReader> r(new RecordReader());
    auto hd = header_at(seg->fd, seg->path, offset, tx_id, r->raw_header_);
    if (!hd) return hd.status();
    r->header_ = *hd;
    auto* state = XXH3_createState();
    if (state == nullptr || XXH3_64bits_reset(state) != XXH_OK) {
        XXH3_freeState(state);
        return ccdr::Status(CCDR_INTERNAL, "cannot start hashing a log record");
    }
    r->hash_ = state;
    r->seg_ = std::move(seg);
    r->payload_at_ = offset + kRecordHeader;
    return r;
}

SegmentLog::RecordReader::~RecordReader() {
    if (hash_ != nullptr) {
        XXH3_freeState(static_cast<XXH3_state_t*>(hash_));
    }
}

ccdr::Result<size_t> SegmentLog::RecordReader::read(std::span<uint8_t> into) {
    const uint64_t left = header_.payload_len - done_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, into.size()));
    if (n == 0) {
        return size_t{0};
    }
    auto ok = read_exact(seg_->fd, into.data(), n, payload_at_ + done_, seg_->path);
    if (!ok) return ok.status();
    if (!*ok) {
        return ccdr::Status(CCDR_CORRUPT, seg_->path.filename().string() + " ends inside tx " +
                                              std::to_string(header_.tx_id));
    }
    auto* state = static_cast<XXH3_state_t*>(hash_);
    (void)XXH3_64bits_update(state, into.data(), n);
    done_ += n;
    if (done_ == header_.payload_len &&
        record_checksum_of(raw_header_, XXH3_64bits_digest(state)) != get_u64(raw_header_ + 48)) {
        return ccdr::Status(CCDR_CORRUPT, seg_->path.filename().string() + ": tx " +
                                              std::to_string(header_.tx_id) + " fails its checksum");
    }
    return n;
}

ccdr::Result<std::optional<SegmentLog::Header>> SegmentLog::header(uint64_t tx_id) const {
    std::shared_ptr<Segment> seg;
    uint64_t offset = 0;
    if (ccdr::Status st = record_of(tx_id, seg, offset); !st || !seg) {
        if (!st) return st;
        return std::optional<Header>();
    }
    auto hd = header_at(seg->fd, seg->path, offset, tx_id);
    if (!hd) return hd.status();
    return std::optional<Header>(*hd);
}

ccdr::Result<uint64_t> SegmentLog::first_at_or_after(int64_t time_ms) const {
    uint64_t next = 0;
    const std::vector<View> segs = views(&next);
    for (const auto& v : segs) {
        if (v.next_tx == v.first_tx || v.last_time_ms < time_ms) {
            continue;
        }
        // Commit times never go back: start at the last index point before
        // time_ms and walk headers.
        IndexPoint start;
        {
            std::lock_guard lock(mu_);
            const auto& index = v.seg->index;
            auto it = std::lower_bound(index.begin(), index.end(), time_ms,
                                       [](const IndexPoint& p, int64_t t) { return p.time_ms < t; });
            if (it != index.begin()) --it;
            start = *it;
        }
        uint64_t offset = start.offset;
        for (uint64_t tx = start.tx_id; tx < v.next_tx; ++tx) {
            auto hd = header_at(v.seg->fd, v.seg->path, offset, tx);
            if (!hd) return hd.status();
            if (hd->time_ms >= time_ms) {
                return tx;
            }
            offset += kRecordHeader + hd->payload_len;
        }
    }
    return next;
}

ccdr::Result<uint64_t> SegmentLog::payload_bytes_from(uint64_t tx_id) const {
    const std::vector<View> segs = views(nullptr);
    uint64_t total = 0;
    for (const auto& v : segs) {
        if (v.next_tx <= tx_id) {
            continue;
        }
        if (v.first_tx >= tx_id) {
            total += v.payload_total;
            continue;
        }
        uint64_t offset = 0;
        uint64_t before = 0;
        ccdr::Status st = locate(*v.seg, tx_id, offset, before);
        if (!st) return st;
        total += v.payload_total - before;
    }
    return total;
}

ccdr::Result<uint64_t> SegmentLog::keep_from_for_bytes(uint64_t bytes) const {
    uint64_t next = 0;
    const std::vector<View> segs = views(&next);
    uint64_t later = 0;  // payload of the segments newer than the one looked at
    uint64_t keep = next > 1 ? next - 1 : next;
    for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        const View& v = *it;
        if (v.next_tx == v.first_tx) continue;
        if (later + v.payload_total <= bytes) {
            later += v.payload_total;
            keep = std::min(keep, v.first_tx);
            continue;
        }
        // The cut is inside this segment: the first record from which the
        // rest of it plus `later` fits.
        uint64_t offset = kFileHeader;
        uint64_t before = 0;
        for (uint64_t tx = v.first_tx; tx < v.next_tx; ++tx) {
            if (later + v.payload_total - before <= bytes) {
                return std::min(keep, tx);
            }
            auto hd = header_at(v.seg->fd, v.seg->path, offset, tx);
            if (!hd) return hd.status();
            before += hd->payload_len;
            offset += kRecordHeader + hd->payload_len;
        }
        return keep;
    }
    return keep;
}

ccdr::Result<uint64_t> SegmentLog::remove_before(uint64_t keep_from) {
    std::vector<std::shared_ptr<Segment>> doomed;
    {
        std::lock_guard lock(mu_);
        while (segments_.size() > 1 && segments_.front()->next_tx <= keep_from) {
            doomed.push_back(segments_.front());
            segments_.erase(segments_.begin());
        }
    }
    for (const auto& s : doomed) {
        std::error_code ec;
        fs::remove(s->path, ec);  // readers holding it keep their descriptor
        if (ec) {
            return ccdr::Status(CCDR_IO_ERROR, "removing " + s->path.string() + ": " + ec.message());
        }
    }
    return first_tx();
}

ccdr::Status SegmentLog::reset(uint64_t next_tx) {
    std::vector<std::shared_ptr<Segment>> doomed;
    {
        std::lock_guard lock(mu_);
        doomed.swap(segments_);
        unsynced_.clear();
        next_tx_ = next_tx;
        last_time_ms_ = 0;
    }
    for (const auto& s : doomed) {
        std::error_code ec;
        fs::remove(s->path, ec);
        if (ec) {
            return ccdr::Status(CCDR_IO_ERROR, "removing " + s->path.string() + ": " + ec.message());
        }
    }
    return fsync_path(dir_);
}

}  // namespace refhost
