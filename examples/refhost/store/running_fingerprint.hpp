// examples/refhost/store/running_fingerprint.hpp: a member's running
// fingerprint (ccdr_host_api.running_fingerprint, ABI 1.2): a multiset hash
// over the store's records, kept up to date by every applied change in
// constant time, so a replica can compare its content with its upstream's
// at one transaction without reading either store.
//
// The records are the store's facts, each in a canonical byte form tagged by
// its kind:
//   node        (id, encoded property map)
//   label       (node id, label)
//   rel         (id, type, start id, end id)
//   rel props   (id, encoded property map)
// A record's hash is XXH3-128 with a fixed seed (kSeed); the value is the
// sum of the hashes of every record in the store, mod 2^128. A change
// subtracts the old record's hash and adds the new one's, so the value
// depends only on which records are present, never on the order of the
// changes that led there. (XXH3 is not a cryptographic hash: this detects
// accidental divergence, it does not resist a forger.)
//
// Where it lives: the one-row table running_fingerprint(tx, value) holds
// the value after its tx, written once per write transaction
// (StoreConnection::advance_fingerprint, commit); each transaction's log
// record carries the value after it (segment_log.hpp), so the value at an
// earlier tx is one record header away. A store without the table (made by
// an older refhost, or opened with tracking off) gets it at its next open
// with tracking on: one full pass over the store, once
// (ensure_running_fingerprint).
#pragma once

#include "store/sqlite.hpp"

#include <ccdr/status.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace refhost {

inline constexpr const char* kRunningFingerprintAlgorithm = "refhost-records-xxh3-128-sum-v1";

// A store of the older format kept the value after each transaction in its
// txlog table's fp column: this brings the one-row table up to the last
// entry's value (when that entry is the newer) before that table goes
// (member_recovery.cpp).
inline constexpr const char* kSettleRunningValueSql =
    "UPDATE running_fingerprint SET (tx, value) = (SELECT id, fp FROM txlog ORDER BY id DESC LIMIT 1) "
    "WHERE id = 1 AND EXISTS (SELECT 1 FROM (SELECT id, fp FROM txlog ORDER BY id DESC LIMIT 1) AS last "
    "WHERE last.id > running_fingerprint.tx AND last.fp IS NOT NULL)";

// The value: a sum mod 2^128, as two 64-bit halves with the carry done by
// hand (ISO C++ has no 128-bit integer).
struct RunningSum {
    uint64_t hi = 0;
    uint64_t lo = 0;
    void add(const RunningSum& o) {
        const uint64_t l = lo + o.lo;
        hi += o.hi + (l < lo ? 1 : 0);
        lo = l;
    }
    void sub(const RunningSum& o) {
        const uint64_t l = lo - o.lo;
        hi -= o.hi + (lo < o.lo ? 1 : 0);
        lo = l;
    }
    bool operator==(const RunningSum&) const = default;
    // 16 bytes, big-endian (the column's and the log record's form) and 32
    // hex digits.
    std::array<uint8_t, 16> raw() const;
    std::string bytes() const;
    static bool from_bytes(std::span<const uint8_t> b, RunningSum& out);
    std::string hex() const;
};

namespace running_record {
RunningSum node(int64_t id, std::span<const uint8_t> props);
RunningSum label(int64_t node, std::string_view label);
RunningSum rel(int64_t id, std::string_view type, int64_t start, int64_t end);
RunningSum rel_props(int64_t id, std::span<const uint8_t> props);
}  // namespace running_record

// The sum over every record of the store, read in the caller's transaction
// (the full pass; also what a test compares the running value with).
ccdr::Result<RunningSum> compute_running_sum(sql::Connection& db);

// Makes sure the store has the table, the log column and a value for its
// current content. With `track`, a store missing any of them gets them (one
// full pass, in one write transaction); without, the value row is removed
// (nothing keeps it current any more, so it must not be believed; the next
// open with tracking rebuilds it). Run before the connection prepares its
// statements.
ccdr::Status ensure_running_fingerprint(sql::Connection& db, bool track);

}  // namespace refhost
