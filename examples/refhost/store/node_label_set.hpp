// examples/refhost/store/node_label_set.hpp: a node's labels as its row
// keeps them (the `labels` column of `nodes`, store format 2). Each label
// once, in ascending byte order (SQLite's BINARY collation: the order
// Cypher's labels() shows), each written as a LEB128 length and its UTF-8
// bytes, with the shortest length encoding; a node without labels has the
// empty blob. That is the shape of a change record's label list, so a
// record whose labels are already in this order is stored as it comes.
#pragma once

#include "store/bytes.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::node_label_set {

// Why a change op's label list cannot be stored as a node's labels.
enum class Fault { None, Duplicate, Malformed };

// The stored value for a change op's labels (`count` length-prefixed
// labels, as ChangeOp carries them): `encoded` itself when it is already
// in stored form (no copy: the common case), else the labels sorted into
// `scratch`. `out` views one of the two.
Fault stored_form(std::span<const uint8_t> encoded, uint64_t count, std::vector<uint8_t>& scratch,
                  std::span<const uint8_t>& out);

// The stored value of labels already sorted and unique.
std::vector<uint8_t> encode(const std::vector<std::string>& sorted);

// Calls f(std::string_view) for each label of a stored value, in order;
// false when the value does not decode (the views point into `stored`).
template <typename F>
bool each(std::span<const uint8_t> stored, F&& f) {
    codec::ByteReader r(stored);
    std::string_view label;
    while (!r.at_end()) {
        if (!r.str(label) || label.empty()) {
            return false;
        }
        f(label);
    }
    return true;
}

// The labels of a stored value, copied; false when it does not decode.
bool decode(std::span<const uint8_t> stored, std::vector<std::string>& out);

}  // namespace refhost::node_label_set
