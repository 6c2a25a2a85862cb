// plugin/protocol/wire.hpp: little-endian field encoding for frames and
// session messages. WireWriter appends to a byte vector; WireReader reads a
// borrowed span with bounds checks and remembers the first failure (what was
// being read and at which offset), so decoders check once at the end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr::protocol {

// Longest string a session message carries (names, ids, reasons).
inline constexpr uint32_t kMaxWireString = 64 * 1024;

// A 64-bit checksum or magic as error messages show it: 0x + 16 hex digits.
inline std::string hex64(uint64_t v) {
    char buf[19];
    std::snprintf(buf, sizeof(buf), "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

inline void store_le(uint8_t* out, uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) {
        out[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}

inline uint64_t load_le(const uint8_t* in, size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) {
        v |= static_cast<uint64_t>(in[i]) << (8 * i);
    }
    return v;
}

class WireWriter {
public:
    explicit WireWriter(std::vector<uint8_t>& out) : out_(out) {}

    void u8(uint8_t v) { out_.push_back(v); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    // u32 length, then the bytes (truncated to kMaxWireString).
    void str(std::string_view s) {
        uint32_t n = static_cast<uint32_t>(std::min<size_t>(s.size(), kMaxWireString));
        u32(n);
        raw(reinterpret_cast<const uint8_t*>(s.data()), n);
    }
    void raw(const uint8_t* p, size_t n) { out_.insert(out_.end(), p, p + n); }
    size_t size() const { return out_.size(); }

private:
    void put(uint64_t v, size_t bytes) {
        size_t at = out_.size();
        out_.resize(at + bytes);
        store_le(out_.data() + at, v, bytes);
    }

    std::vector<uint8_t>& out_;
};

class WireReader {
public:
    explicit WireReader(std::span<const uint8_t> in) : in_(in) {}

    uint8_t u8(const char* what) { return static_cast<uint8_t>(get(1, what)); }
    uint16_t u16(const char* what) { return static_cast<uint16_t>(get(2, what)); }
    uint32_t u32(const char* what) { return static_cast<uint32_t>(get(4, what)); }
    uint64_t u64(const char* what) { return get(8, what); }
    int64_t i64(const char* what) { return static_cast<int64_t>(get(8, what)); }
    bool boolean(const char* what) {
        uint8_t v = u8(what);
        if (ok() && v > 1) {
            fail(what, "is not 0 or 1");
        }
        return v == 1;
    }
    std::string str(const char* what) {
        uint32_t n = u32(what);
        if (!ok()) {
            return {};
        }
        if (n > kMaxWireString) {
            fail(what, "is longer than " + std::to_string(kMaxWireString) + " bytes");
            return {};
        }
        auto bytes = take(n, what);
        return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    // A view of the next n bytes (empty and failed when fewer remain).
    std::span<const uint8_t> take(size_t n, const char* what) {
        if (!ok()) {
            return {};
        }
        if (remaining() < n) {
            fail(what, "needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " remain");
            return {};
        }
        auto out = in_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

    size_t remaining() const { return in_.size() - pos_; }
    size_t position() const { return pos_; }
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    // Fails unless every byte was consumed.
    void expect_end(const char* what) {
        if (ok() && remaining() != 0) {
            fail(what, "has " + std::to_string(remaining()) + " trailing bytes");
        }
    }
    void fail(const char* what, const std::string& why) {
        if (ok()) {
            error_ = std::string(what) + " at byte " + std::to_string(pos_) + " " + why;
        }
    }

private:
    uint64_t get(size_t bytes, const char* what) {
        auto b = take(bytes, what);
        return b.empty() ? 0 : load_le(b.data(), bytes);
    }

    std::span<const uint8_t> in_;
    size_t pos_ = 0;
    std::string error_;
};

}  // namespace ccdr::protocol
