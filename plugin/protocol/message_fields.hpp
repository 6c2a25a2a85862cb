// plugin/protocol/message_fields.hpp: writes and reads a session message's
// fields in the order its `fields` function lists them, one overload per
// wire type, so that each message's layout is written down once
// (messages.hpp) and encoding and decoding cannot drift apart.
// Arguments are matched exactly: a field of a type with no overload here
// does not compile.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/message_type.hpp"
#include "protocol/user_roles.hpp"
#include "protocol/wire.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ccdr::protocol {

struct FieldWriter {
    WireWriter& w;
    void operator()(const char*, const uint8_t& v) { w.u8(v); }
    void operator()(const char*, const bool& v) { w.boolean(v); }
    void operator()(const char*, const uint16_t& v) { w.u16(v); }
    void operator()(const char*, const uint32_t& v) { w.u32(v); }
    void operator()(const char*, const uint64_t& v) { w.u64(v); }
    void operator()(const char*, const int64_t& v) { w.i64(v); }
    void operator()(const char*, const std::string& v) { w.str(v); }
    void operator()(const char*, const RefusalCode& v) { w.u16(static_cast<uint16_t>(v)); }
    void operator()(const char*, const UpstreamPosition& p) {
        w.u64(p.last_tx);
        w.i64(p.last_commit_ms);
        w.i64(p.sent_at_ms);
    }
    // The rest of the payload, without a length (a snapshot chunk's data).
    void operator()(const char*, const std::span<const uint8_t>& v) { w.raw(v.data(), v.size()); }
    // A trailing field added by a later protocol version: written only when
    // set, and only ever last. A message with one is sent with it only on a
    // session whose version has it (an older reader refuses trailing bytes).
    void operator()(const char*, const std::optional<uint64_t>& v) {
        if (v) {
            w.u64(*v);
        }
    }
    void operator()(const char*, const std::optional<std::string>& v) {
        if (v) {
            w.str(*v);
        }
    }
    // u32 count, then per user its name and a u32 count of role names.
    void operator()(const char*, const std::vector<UserRoles>& users) {
        w.u32(static_cast<uint32_t>(users.size()));
        for (const auto& u : users) {
            w.str(u.name);
            w.u32(static_cast<uint32_t>(u.roles.size()));
            for (const auto& r : u.roles) {
                w.str(r);
            }
        }
    }
    // u32 count, then the strings.
    void operator()(const char*, const std::vector<std::string>& items) {
        w.u32(static_cast<uint32_t>(items.size()));
        for (const auto& item : items) {
            w.str(item);
        }
    }
    // u32 count, then the values.
    void operator()(const char*, const std::vector<uint64_t>& items) {
        w.u32(static_cast<uint32_t>(items.size()));
        for (uint64_t item : items) {
            w.u64(item);
        }
    }
};

struct FieldReader {
    WireReader& r;
    void operator()(const char* what, uint8_t& v) { v = r.u8(what); }
    void operator()(const char* what, bool& v) { v = r.boolean(what); }
    void operator()(const char* what, uint16_t& v) { v = r.u16(what); }
    void operator()(const char* what, uint32_t& v) { v = r.u32(what); }
    void operator()(const char* what, uint64_t& v) { v = r.u64(what); }
    void operator()(const char* what, int64_t& v) { v = r.i64(what); }
    void operator()(const char* what, std::string& v) { v = r.str(what); }
    // Any value is read; the message's check() refuses codes it does not know.
    void operator()(const char* what, RefusalCode& v) { v = static_cast<RefusalCode>(r.u16(what)); }
    void operator()(const char*, UpstreamPosition& p) {
        p.last_tx = r.u64("upstream last_tx");
        p.last_commit_ms = r.i64("upstream last_commit_ms");
        p.sent_at_ms = r.i64("upstream sent_at_ms");
    }
    // A view of the rest of the payload.
    void operator()(const char* what, std::span<const uint8_t>& v) { v = r.take(r.remaining(), what); }
    // A trailing field: read when bytes remain, else absent (a peer of an
    // older protocol, or one with nothing to say).
    void operator()(const char* what, std::optional<uint64_t>& v) {
        if (r.ok() && r.remaining() > 0) {
            v = r.u64(what);
        }
    }
    void operator()(const char* what, std::optional<std::string>& v) {
        if (r.ok() && r.remaining() > 0) {
            v = r.str(what);
        }
    }
    // Counts are checked against the bytes that remain (each entry takes at
    // least 4 bytes) before anything is allocated.
    void operator()(const char* what, std::vector<UserRoles>& users) {
        uint32_t n = r.u32(what);
        if (r.ok() && n > r.remaining() / 8) {
            r.fail(what, "counts " + std::to_string(n) + " users in " + std::to_string(r.remaining()) + " bytes");
        }
        for (uint32_t i = 0; r.ok() && i < n; ++i) {
            UserRoles u;
            u.name = r.str("user name");
            uint32_t roles = r.u32("role count");
            if (r.ok() && roles > r.remaining() / 4) {
                r.fail("role count", std::to_string(roles) + " roles in " + std::to_string(r.remaining()) + " bytes");
            }
            for (uint32_t k = 0; r.ok() && k < roles; ++k) {
                u.roles.push_back(r.str("role name"));
            }
            users.push_back(std::move(u));
        }
    }
    void operator()(const char* what, std::vector<std::string>& items) {
        uint32_t n = r.u32(what);
        if (r.ok() && n > r.remaining() / 4) {
            r.fail(what, "counts " + std::to_string(n) + " strings in " + std::to_string(r.remaining()) + " bytes");
        }
        for (uint32_t i = 0; r.ok() && i < n; ++i) {
            items.push_back(r.str(what));
        }
    }
    void operator()(const char* what, std::vector<uint64_t>& items) {
        uint32_t n = r.u32(what);
        if (r.ok() && n > r.remaining() / 8) {
            r.fail(what, "counts " + std::to_string(n) + " values in " + std::to_string(r.remaining()) + " bytes");
        }
        for (uint32_t i = 0; r.ok() && i < n; ++i) {
            items.push_back(r.u64(what));
        }
    }
};

}  // namespace ccdr::protocol
