// examples/refhost/bolt/message.cpp: message encoding and decoding.
#include "bolt/message.hpp"

#include "bolt/chunking.hpp"

#include <string>

namespace refhost::bolt {

std::string message_name(uint8_t tag) {
    switch (tag) {
        case msg::kHello:
            return "HELLO";
        case msg::kGoodbye:
            return "GOODBYE";
        case msg::kReset:
            return "RESET";
        case msg::kRun:
            return "RUN";
        case msg::kBegin:
            return "BEGIN";
        case msg::kCommit:
            return "COMMIT";
        case msg::kRollback:
            return "ROLLBACK";
        case msg::kDiscard:
            return "DISCARD";
        case msg::kPull:
            return "PULL";
        case msg::kTelemetry:
            return "TELEMETRY";
        case msg::kRoute:
            return "ROUTE";
        case msg::kLogon:
            return "LOGON";
        case msg::kLogoff:
            return "LOGOFF";
        case msg::kSuccess:
            return "SUCCESS";
        case msg::kRecord:
            return "RECORD";
        case msg::kIgnored:
            return "IGNORED";
        case msg::kFailure:
            return "FAILURE";
        default: {
            static constexpr char kDigits[] = "0123456789ABCDEF";
            return std::string{'0', 'x', kDigits[tag >> 4], kDigits[tag & 0xF]};
        }
    }
}

Outcome<Message> decode_message(std::span<const uint8_t> bytes, DecodeLimits limits) {
    PackReader r(bytes, limits);
    auto h = r.struct_header();
    if (!h) {
        return h.error();
    }
    Message m;
    m.tag = h->tag;
    m.fields.reserve(h->fields);
    for (size_t i = 0; i < h->fields; ++i) {
        auto v = r.value();
        if (!v) {
            return v.error();
        }
        m.fields.push_back(std::move(v.value()));
    }
    if (!r.at_end()) {
        return make_error(status::kRequestInvalid, "Bolt message " + message_name(m.tag) + ": " +
                                                                 std::to_string(r.remaining()) +
                                                                 " bytes left after its fields");
    }
    return m;
}

std::vector<uint8_t> encode_message(uint8_t tag, const List& fields) {
    std::vector<uint8_t> out;
    PackWriter w(out);
    w.struct_header(fields.size(), tag);
    for (const auto& f : fields) {
        w.value(f);
    }
    return out;
}

void append_message(std::vector<uint8_t>& out, uint8_t tag, const List& fields) {
    append_chunked(out, encode_message(tag, fields));
}

void append_record(std::vector<uint8_t>& out, const List& values) {
    std::vector<uint8_t> body;
    PackWriter w(body);
    w.struct_header(1, msg::kRecord);
    w.list(values);
    append_chunked(out, body);
}

}  // namespace refhost::bolt
