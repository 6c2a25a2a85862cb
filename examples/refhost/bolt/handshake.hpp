// examples/refhost/bolt/handshake.hpp: Bolt version negotiation
// (bolt-and-neo4j.md §6.1). The client sends the magic `60 60 B0 17` and four
// 4-byte entries `[reserved][range][minor][major]`, each meaning "minor,
// minor-1, ... minor-range of that major". The entry `00 00 01 FF` offers the
// manifest v1 form instead, in which the server lists its versions and the
// client picks one.
#pragma once

#include "common/error.hpp"

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refhost::bolt {

struct BoltVersion {
    uint8_t major = 0;
    uint8_t minor = 0;
    auto operator<=>(const BoltVersion&) const = default;
    std::string to_string() const { return std::to_string(major) + "." + std::to_string(minor); }
};

inline constexpr std::array<uint8_t, 4> kBoltMagic = {0x60, 0x60, 0xB0, 0x17};
inline constexpr size_t kHandshakeSize = 20;

// The versions the refhost speaks, highest first: 5.8 down to 5.0 without
// 5.5, which no Neo4j server negotiates.
std::span<const BoltVersion> server_versions();
bool server_speaks(BoltVersion v);

struct HandshakeReply {
    enum class Kind {
        Version,    // `bytes` is 00 00 minor major; the session starts
        Manifest,   // `bytes` is the manifest; the client's choice follows
        NoVersion,  // `bytes` is 00 00 00 00; close after sending
    };
    Kind kind = Kind::NoVersion;
    BoltVersion version;
    std::vector<uint8_t> bytes;  // send in one write
};

// Answers the client's 20 bytes. An error when the magic is wrong (then the
// server closes without a reply) or the request is not 20 bytes.
Outcome<HandshakeReply> answer_handshake(std::span<const uint8_t> request);

// After a manifest reply the client sends 4 bytes (the version) and a varint
// of capabilities. nullopt: more bytes are needed. An error when the choice
// is not one of the server's versions or the varint is malformed.
struct ManifestChoice {
    BoltVersion version;
    uint64_t capabilities = 0;
    size_t consumed = 0;
};
Outcome<std::optional<ManifestChoice>> read_manifest_choice(std::span<const uint8_t> bytes);

// --- client side ---

// 20 bytes: magic, optionally the manifest entry, then 5.max..5.0.
std::vector<uint8_t> client_handshake(bool offer_manifest, BoltVersion max = {5, 8});

// The client's reading of the server's answer.
struct ClientNegotiation {
    BoltVersion version;
    std::vector<uint8_t> reply;  // manifest only: what the client must send back
    size_t consumed = 0;
};
// nullopt: more bytes needed. Error: no common version or a malformed answer.
Outcome<std::optional<ClientNegotiation>> read_server_answer(std::span<const uint8_t> bytes, BoltVersion max = {5, 8});

// LEB128 varints as the manifest uses them.
void append_varint(std::vector<uint8_t>& out, uint64_t v);
struct Varint {
    uint64_t value = 0;
    size_t size = 0;
};
// nullopt: incomplete. Error: longer than 10 bytes.
Outcome<std::optional<Varint>> read_varint(std::span<const uint8_t> bytes);

}  // namespace refhost::bolt
