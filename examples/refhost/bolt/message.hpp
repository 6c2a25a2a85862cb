// examples/refhost/bolt/message.hpp: Bolt 5 messages: a PackStream structure
// whose tag names the message and whose fields are its arguments
// (bolt-and-neo4j.md §6.5-6.6).
#pragma once

#include "bolt/packstream.hpp"
#include "common/error.hpp"
#include "common/value.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace refhost::bolt {

namespace msg {
// Requests.
inline constexpr uint8_t kHello = 0x01;
inline constexpr uint8_t kGoodbye = 0x02;
inline constexpr uint8_t kReset = 0x0F;
inline constexpr uint8_t kRun = 0x10;
inline constexpr uint8_t kBegin = 0x11;
inline constexpr uint8_t kCommit = 0x12;
inline constexpr uint8_t kRollback = 0x13;
inline constexpr uint8_t kDiscard = 0x2F;
inline constexpr uint8_t kPull = 0x3F;
inline constexpr uint8_t kTelemetry = 0x54;
inline constexpr uint8_t kRoute = 0x66;
inline constexpr uint8_t kLogon = 0x6A;
inline constexpr uint8_t kLogoff = 0x6B;
// Responses.
inline constexpr uint8_t kSuccess = 0x70;
inline constexpr uint8_t kRecord = 0x71;
inline constexpr uint8_t kIgnored = 0x7E;
inline constexpr uint8_t kFailure = 0x7F;
}  // namespace msg

// "RUN", "SUCCESS", ...; "0x.." for a tag that is no message.
std::string message_name(uint8_t tag);

struct Message {
    uint8_t tag = 0;
    List fields;
};

// One message from de-chunked bytes; the structure must fill them exactly.
Outcome<Message> decode_message(std::span<const uint8_t> bytes, DecodeLimits limits = {});

// The PackStream bytes of a message (not chunked).
std::vector<uint8_t> encode_message(uint8_t tag, const List& fields);

// Appends a message, chunked, to `out`.
void append_message(std::vector<uint8_t>& out, uint8_t tag, const List& fields);
// RECORD with `values`, chunked, without copying the values into a List first.
void append_record(std::vector<uint8_t>& out, const List& values);

}  // namespace refhost::bolt
