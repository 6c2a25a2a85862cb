// examples/refhost/store/bytes.hpp: the primitives of the refhost's binary
// encodings (property maps, change records): LEB128 varints, zigzag for
// signed integers, little-endian doubles, length-prefixed strings. The
// reader is bounds-checked: a truncated or hostile input makes it fail,
// never read past the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::codec {

class ByteWriter {
public:
    explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

    void u8(uint8_t v) { out_.push_back(v); }
    void varint(uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<uint8_t>(v) | 0x80);
            v >>= 7;
        }
        out_.push_back(static_cast<uint8_t>(v));
    }
    void zigzag(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
    void f64(double v) {
        uint64_t bits = 0;
        std::memcpy(&bits, &v, 8);
        for (int i = 0; i < 8; ++i) {
            out_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
        }
    }
    void str(std::string_view s) {
        varint(s.size());
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void blob(std::span<const uint8_t> b) {
        varint(b.size());
        out_.insert(out_.end(), b.begin(), b.end());
    }
    void raw(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    size_t size() const { return out_.size(); }
    std::vector<uint8_t>& buffer() { return out_; }

private:
    std::vector<uint8_t>& out_;
};

class ByteReader {
public:
    explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}

    bool at_end() const { return pos_ == in_.size(); }
    size_t position() const { return pos_; }
    size_t remaining() const { return in_.size() - pos_; }

    bool u8(uint8_t& v) {
        if (pos_ >= in_.size()) {
            return false;
        }
        v = in_[pos_++];
        return true;
    }
    bool varint(uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= in_.size()) {
                return false;
            }
            uint8_t b = in_[pos_++];
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return shift < 63 || b <= 1;
            }
        }
        return false;
    }
    bool zigzag(int64_t& v) {
        uint64_t u = 0;
        if (!varint(u)) {
            return false;
        }
        v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
        return true;
    }
    bool f64(double& v) {
        if (remaining() < 8) {
            return false;
        }
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) {
            bits |= static_cast<uint64_t>(in_[pos_ + static_cast<size_t>(i)]) << (8 * i);
        }
        pos_ += 8;
        std::memcpy(&v, &bits, 8);
        return true;
    }
    // A length-prefixed run of bytes, viewed in place.
    bool blob(std::span<const uint8_t>& out) {
        uint64_t n = 0;
        if (!varint(n) || n > remaining()) {
            return false;
        }
        out = in_.subspan(pos_, static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return true;
    }
    bool str(std::string_view& out) {
        std::span<const uint8_t> b;
        if (!blob(b)) {
            return false;
        }
        out = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
        return true;
    }
    // The bytes from `start` to the current position.
    std::span<const uint8_t> since(size_t start) const { return in_.subspan(start, pos_ - start); }

private:
    std::span<const uint8_t> in_;
    size_t pos_ = 0;
};

}  // namespace refhost::codec
