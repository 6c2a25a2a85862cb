// examples/refhost/bolt/handshake.cpp: version negotiation, both sides.
#include "bolt/handshake.hpp"

#include <algorithm>

namespace refhost::bolt {

namespace {

constexpr BoltVersion kVersions[] = {{5, 8}, {5, 7}, {5, 6}, {5, 4}, {5, 3}, {5, 2}, {5, 1}, {5, 0}};

// The manifest lists the versions as ranges: 5.8-5.6 and 5.4-5.0.
constexpr uint8_t kManifestRanges[][4] = {{0x00, 0x02, 0x08, 0x05}, {0x00, 0x04, 0x04, 0x05}};

constexpr uint8_t kManifestMajor = 0xFF;
constexpr uint8_t kManifestV1 = 0x01;

Error invalid(std::string what) { return make_error(status::kRequestInvalid, "Bolt handshake: " + what); }

}  // namespace

std::span<const BoltVersion> server_versions() { return kVersions; }

bool server_speaks(BoltVersion v) { return std::find(std::begin(kVersions), std::end(kVersions), v) != std::end(kVersions); }

void append_varint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

Outcome<std::optional<Varint>> read_varint(std::span<const uint8_t> bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i >= 10) {
            return invalid("varint longer than 10 bytes");
        }
        v |= uint64_t{bytes[i] & 0x7Fu} << (7 * i);
        if ((bytes[i] & 0x80) == 0) {
            return std::optional<Varint>(Varint{v, i + 1});
        }
    }
    if (bytes.size() >= 10) {
        return invalid("varint longer than 10 bytes");
    }
    return std::optional<Varint>();
}

Outcome<HandshakeReply> answer_handshake(std::span<const uint8_t> request) {
    if (request.size() != kHandshakeSize) {
        return invalid("expected " + std::to_string(kHandshakeSize) + " bytes, got " + std::to_string(request.size()));
    }
    if (!std::equal(kBoltMagic.begin(), kBoltMagic.end(), request.begin())) {
        return invalid("wrong magic preamble (not a Bolt client)");
    }
    HandshakeReply reply;
    for (size_t e = 0; e < 4; ++e) {
        const uint8_t* entry = request.data() + 4 + 4 * e;
        uint8_t range = entry[1];
        uint8_t minor = entry[2];
        uint8_t major = entry[3];
        if (major == kManifestMajor && minor == kManifestV1) {
            reply.kind = HandshakeReply::Kind::Manifest;
            reply.bytes = {0x00, 0x00, kManifestV1, kManifestMajor};
            append_varint(reply.bytes, std::size(kManifestRanges));
            for (const auto& r : kManifestRanges) {
                reply.bytes.insert(reply.bytes.end(), std::begin(r), std::end(r));
            }
            append_varint(reply.bytes, 0);  // capabilities: none
            return reply;
        }
        // Highest version of ours inside [minor - range, minor] of this major.
        int low = std::max(0, int{minor} - int{range});
        for (const BoltVersion& v : kVersions) {
            if (v.major == major && v.minor <= minor && v.minor >= low) {
                reply.kind = HandshakeReply::Kind::Version;
                reply.version = v;
                reply.bytes = {0x00, 0x00, v.minor, v.major};
                return reply;
            }
        }
    }
    reply.kind = HandshakeReply::Kind::NoVersion;
    reply.bytes = {0x00, 0x00, 0x00, 0x00};
    return reply;
}

Outcome<std::optional<ManifestChoice>> read_manifest_choice(std::span<const uint8_t> bytes) {
    if (bytes.size() < 5) {
        return std::optional<ManifestChoice>();
    }
    BoltVersion v{bytes[3], bytes[2]};
    auto caps = read_varint(bytes.subspan(4));
    if (!caps) {
        return caps.error();
    }
    if (!caps->has_value()) {
        return std::optional<ManifestChoice>();
    }
    if (!server_speaks(v)) {
        return invalid("the client chose version " + v.to_string() + ", which the server did not offer");
    }
    return std::optional<ManifestChoice>(ManifestChoice{v, (*caps)->value, 4 + (*caps)->size});
}

std::vector<uint8_t> client_handshake(bool offer_manifest, BoltVersion max) {
    std::vector<uint8_t> out(kBoltMagic.begin(), kBoltMagic.end());
    if (offer_manifest) {
        out.insert(out.end(), {0x00, 0x00, kManifestV1, kManifestMajor});
    }
    out.insert(out.end(), {0x00, max.minor, max.minor, max.major});
    out.resize(kHandshakeSize, 0);
    return out;
}

Outcome<std::optional<ClientNegotiation>> read_server_answer(std::span<const uint8_t> bytes, BoltVersion max) {
    if (bytes.size() < 4) {
        return std::optional<ClientNegotiation>();
    }
    if (bytes[0] != 0 || bytes[1] != 0 || (bytes[2] == 0 && bytes[3] == 0)) {
        if (bytes[2] == 0 && bytes[3] == 0) {
            return make_error(status::kRequestInvalid,
                              "Bolt handshake: the server speaks none of the offered versions (5.0.." +
                                  max.to_string() + ")");
        }
        return invalid("malformed server answer");
    }
    if (bytes[3] != kManifestMajor) {
        BoltVersion v{bytes[3], bytes[2]};
        if (v.major != 5 || v > max) {
            return invalid("the server chose version " + v.to_string() + ", which was not offered");
        }
        return std::optional<ClientNegotiation>(ClientNegotiation{v, {}, 4});
    }
    if (bytes[2] != kManifestV1) {
        return invalid("unknown manifest version " + std::to_string(bytes[2]));
    }
    size_t pos = 4;
    auto count = read_varint(bytes.subspan(pos));
    if (!count) {
        return count.error();
    }
    if (!count->has_value()) {
        return std::optional<ClientNegotiation>();
    }
    pos += (*count)->size;
    uint64_t n = (*count)->value;
    if (n > 256) {
        return invalid("manifest lists " + std::to_string(n) + " version ranges");
    }
    if (bytes.size() < pos + 4 * n) {
        return std::optional<ClientNegotiation>();
    }
    std::optional<BoltVersion> best;
    for (uint64_t i = 0; i < n; ++i) {
        const uint8_t* e = bytes.data() + pos + 4 * i;
        uint8_t range = e[1];
        uint8_t minor = e[2];
        uint8_t major = e[3];
        for (int m = minor; m >= std::max(0, int{minor} - int{range}); --m) {
            BoltVersion v{major, static_cast<uint8_t>(m)};
            // Same rule as the JavaScript driver: never 5.5.
            if (v.major == 5 && v <= max && v.minor != 5 && (!best || v > *best)) {
                best = v;
            }
        }
    }
    pos += 4 * n;
    auto caps = read_varint(bytes.subspan(pos));
    if (!caps) {
        return caps.error();
    }
    if (!caps->has_value()) {
        return std::optional<ClientNegotiation>();
    }
    pos += (*caps)->size;
    if (!best) {
        return make_error(status::kRequestInvalid,
                          "Bolt handshake: the server's manifest has no version the client speaks");
    }
    ClientNegotiation out{*best, {0x00, 0x00, best->minor, best->major}, pos};
    append_varint(out.reply, 0);
    return std::optional<ClientNegotiation>(std::move(out));
}

}  // namespace refhost::bolt
