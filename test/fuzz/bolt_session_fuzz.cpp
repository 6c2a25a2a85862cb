// libFuzzer target: a whole Bolt connection's input. The first 20 bytes are
// the handshake (a manifest answer takes the client's choice next); the rest
// is the chunked request stream, fed to the session against the fake DBMS
// and engine. Invariants: every response the session writes is a valid Bolt
// message, and after it asks to close it is never fed again.
#include "bolt/chunking.hpp"
#include "bolt/handshake.hpp"
#include "bolt/message.hpp"
#include "bolt/session.hpp"
#include "support/bolt_fakes.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

namespace {

// The fake engine, minus what would make the fuzzer slow (sleeping, huge
// row counts): those are refused like any unknown command.
class FuzzEngine final : public refhost::cypher::Engine {
public:
    refhost::Outcome<refhost::cypher::QueryResult> run(std::string_view query, const refhost::Map& params,
                                                       refhost::cypher::QueryContext& ctx) override {
        if (query.starts_with("SLEEP") || (query.starts_with("ROWS") && query.size() > 8)) {
            return refhost::make_error(refhost::status::kSyntaxError, "not in the fuzzing subset");
        }
        return fake_.run(query, params, ctx);
    }

private:
    refhost::testing::FakeEngine fake_;
};

void check_responses(const std::vector<uint8_t>& out) {
    using namespace refhost::bolt;
    ChunkDecoder d(1u << 26);
    std::vector<std::vector<uint8_t>> msgs;
    if (!d.feed(out, msgs).ok() || !d.between_messages()) {
        std::abort();
    }
    for (const auto& m : msgs) {
        auto decoded = decode_message(m);
        if (!decoded.ok()) {
            std::abort();
        }
        uint8_t t = decoded->tag;
        if (t != msg::kSuccess && t != msg::kRecord && t != msg::kIgnored && t != msg::kFailure) {
            std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace refhost::bolt;
    if (size == 0) {
        return 0;
    }
    std::span<const uint8_t> in(data, size);
    BoltVersion version{5, 8};
    size_t pos = 0;
    if (size >= kHandshakeSize) {
        auto reply = answer_handshake(in.first(kHandshakeSize));
        if (reply.ok()) {
            pos = kHandshakeSize;
            if (reply->kind == HandshakeReply::Kind::NoVersion) {
                return 0;
            }
            version = reply->version;
            if (reply->kind == HandshakeReply::Kind::Manifest) {
                auto choice = read_manifest_choice(in.subspan(pos));
                if (!choice.ok() || !choice->has_value()) {
                    return 0;
                }
                version = (*choice)->version;
                pos += (*choice)->consumed;
            }
        }
    }
    if (pos == 0) {
        // Not a handshake: still exercise the session, at a version picked by the first byte.
        auto versions = server_versions();
        version = versions[data[0] % versions.size()];
        pos = 1;
    }

    refhost::testing::FakeDbms dbms(3);
    FuzzEngine engine;
    BoltSession session(dbms, engine, data[0] % 3 == 1 ? 1 : 0, version, "bolt-fuzz");
    ChunkDecoder decoder(1u << 20);
    std::vector<std::vector<uint8_t>> requests;
    bool framing_ok = decoder.feed(in.subspan(pos), requests).ok();
    for (const auto& r : requests) {
        std::vector<uint8_t> out;
        auto after = session.handle(r, out);
        check_responses(out);
        if (after == BoltSession::After::Close) {
            return 0;
        }
    }
    (void)framing_ok;
    return 0;
}
