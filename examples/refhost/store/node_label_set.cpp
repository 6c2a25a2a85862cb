#include "store/node_label_set.hpp"

#include <algorithm>

namespace refhost::node_label_set {
namespace {

size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

}  // namespace

Fault stored_form(std::span<const uint8_t> encoded, uint64_t count, std::vector<uint8_t>& scratch,
                  std::span<const uint8_t>& out) {
    codec::ByteReader r(encoded);
    std::vector<std::string_view> labels;
    bool in_order = true;
    std::string_view previous;
    for (uint64_t i = 0; i < count; ++i) {
        const size_t at = r.position();
        std::string_view label;
        if (!r.str(label) || label.empty()) {
            return Fault::Malformed;
        }
        // A length written longer than needed is valid in a record but not
        // the stored form: one label set, one value.
        if (r.position() - at != varint_size(label.size()) + label.size() || (i > 0 && label <= previous)) {
            in_order = false;
        }
        previous = label;
        labels.push_back(label);
    }
    if (!r.at_end()) {
        return Fault::Malformed;
    }
    if (in_order) {
        out = encoded;
        return Fault::None;
    }
    std::sort(labels.begin(), labels.end());
    if (std::adjacent_find(labels.begin(), labels.end()) != labels.end()) {
        return Fault::Duplicate;
    }
    scratch.clear();
    codec::ByteWriter w(scratch);
    for (auto label : labels) {
        w.str(label);
    }
    out = scratch;
    return Fault::None;
}

std::vector<uint8_t> encode(const std::vector<std::string>& sorted) {
    std::vector<uint8_t> out;
    codec::ByteWriter w(out);
    for (const auto& label : sorted) {
        w.str(label);
    }
    return out;
}

bool decode(std::span<const uint8_t> stored, std::vector<std::string>& out) {
    out.clear();
    return each(stored, [&](std::string_view label) { out.emplace_back(label); });
}

}  // namespace refhost::node_label_set
