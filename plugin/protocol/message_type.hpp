// plugin/protocol/message_type.hpp: the message types a frame carries and
// the reasons a peer gives when it refuses a request. Values are on the wire:
// never renumber, never reuse.
#pragma once

#include <cstdint>
#include <string_view>

namespace ccdr::protocol {

enum class MessageType : uint8_t {
    kHello = 1,                // replica -> upstream: versions and identity
    kHelloOk = 2,              // upstream -> replica: chosen version and identity
    kDatabaseInfoRequest = 3,  // replica -> upstream: name
    kDatabaseInfo = 4,         // upstream -> replica: what the upstream knows of it
    kSubscribe = 5,            // replica -> upstream: stream from a tx id
    kSubscribed = 6,           // upstream -> replica: the stream begins
    kBatch = 7,                // upstream -> replica: transactions
    kHeartbeat = 8,            // upstream -> replica: idle, here is my position
    kAck = 9,                  // replica -> upstream: last applied tx
    kLogPruned = 10,           // upstream -> replica: from_tx is no longer in the log
    kSnapshotRequest = 11,     // replica -> upstream: start or resume a store copy
    kSnapshotBegin = 12,       // upstream -> replica: what the snapshot is
    kSnapshotChunk = 13,       // upstream -> replica: a part of it
    kSnapshotAck = 14,         // replica -> upstream: bytes verified and stored
    kSnapshotEnd = 15,         // upstream -> replica: every chunk was sent
    kRefused = 16,             // either way: a request is refused, with a reason
    kFingerprintRequest = 17,  // replica -> upstream: the content fingerprint of a database, now
    kFingerprint = 18,         // upstream -> replica: the fingerprint and the tx it covers
    kSecurityRequest = 19,     // replica -> upstream: the users and roles of the upstream's cluster
    kSecuritySnapshot = 20,    // upstream -> replica: every user with its roles, no password
    kFenceRequest = 21,        // replica -> upstream: fence (or unfence) a database of the upstream's cluster
    kFenced = 22,              // upstream -> replica: the access now, and the last tx at the fence
    kDemoteRequest = 23,       // replica -> upstream: the fenced database becomes a replica of the promoted one
    kDemoted = 24,             // upstream -> replica: it is a replica now, continuing at at_tx + 1
    kHistoryRequest = 25,      // replica -> upstream: hashes of a range of the log (finding a shared transaction)
    kHistory = 26,             // upstream -> replica: the hashes and the log's bounds
    // Protocol 3: the log an upstream holds for a replica member (docs/operations.md §10).
    kHoldStatus = 27,          // upstream -> replica: on a subscription, the member's catch-up window
    kHoldRelease = 28,         // replica -> upstream: a replica database was dropped; end its holds
    kHoldReleased = 29,        // upstream -> replica: how many holds ended
    // Protocol 3: continuous verification (docs/operations.md §12).
    kRunningFingerprintRequest = 30,  // replica -> upstream: the running fingerprint at a tx (answer: FINGERPRINT)
    // Protocol 5: a transaction larger than a batch travels in parts (tx_part.hpp).
    kTxPart = 31,              // upstream -> replica: a part of one transaction
};

inline constexpr uint8_t kLastMessageType = static_cast<uint8_t>(MessageType::kTxPart);

inline bool is_known_message_type(uint8_t t) { return t >= 1 && t <= kLastMessageType; }

inline std::string_view message_type_name(MessageType t) {
    switch (t) {
        case MessageType::kHello: return "HELLO";
        case MessageType::kHelloOk: return "HELLO_OK";
        case MessageType::kDatabaseInfoRequest: return "DATABASE_INFO_REQUEST";
        case MessageType::kDatabaseInfo: return "DATABASE_INFO";
        case MessageType::kSubscribe: return "SUBSCRIBE";
        case MessageType::kSubscribed: return "SUBSCRIBED";
        case MessageType::kBatch: return "BATCH";
        case MessageType::kHeartbeat: return "HEARTBEAT";
        case MessageType::kAck: return "ACK";
        case MessageType::kLogPruned: return "LOG_PRUNED";
        case MessageType::kSnapshotRequest: return "SNAPSHOT_REQUEST";
        case MessageType::kSnapshotBegin: return "SNAPSHOT_BEGIN";
        case MessageType::kSnapshotChunk: return "SNAPSHOT_CHUNK";
        case MessageType::kSnapshotAck: return "SNAPSHOT_ACK";
        case MessageType::kSnapshotEnd: return "SNAPSHOT_END";
        case MessageType::kRefused: return "REFUSED";
        case MessageType::kFingerprintRequest: return "FINGERPRINT_REQUEST";
        case MessageType::kFingerprint: return "FINGERPRINT";
        case MessageType::kSecurityRequest: return "SECURITY_REQUEST";
        case MessageType::kSecuritySnapshot: return "SECURITY_SNAPSHOT";
        case MessageType::kFenceRequest: return "FENCE_REQUEST";
        case MessageType::kFenced: return "FENCED";
        case MessageType::kDemoteRequest: return "DEMOTE_REQUEST";
        case MessageType::kDemoted: return "DEMOTED";
        case MessageType::kHistoryRequest: return "HISTORY_REQUEST";
        case MessageType::kHistory: return "HISTORY";
        case MessageType::kHoldStatus: return "HOLD_STATUS";
        case MessageType::kHoldRelease: return "HOLD_RELEASE";
        case MessageType::kHoldReleased: return "HOLD_RELEASED";
        case MessageType::kRunningFingerprintRequest: return "RUNNING_FINGERPRINT_REQUEST";
        case MessageType::kTxPart: return "TX_PART";
    }
    return "UNKNOWN";
}

// Why a request was refused. The REFUSED message also carries a sentence.
enum class RefusalCode : uint16_t {
    kProtocolVersion = 1,   // no common protocol version
    kNotAllowed = 2,        // ccdr.upstream.allowed_databases does not list the database
    kDatabaseNotFound = 3,  // no member of that database on the upstream server
    kDatabaseOffline = 4,   // the member exists but is not online
    kLineageMismatch = 5,   // store id or epoch differ: another lineage
    kAheadOfUpstream = 6,   // the replica has transactions the upstream does not
    kSnapshotUnknown = 7,   // the snapshot to resume is gone; start a new one
    kBadRequest = 8,        // a message out of order or malformed
    kInternal = 9,          // the upstream failed (storage, snapshot export)
    kShuttingDown = 10,     // the upstream server is stopping
    kUnsupported = 11,      // the upstream's host cannot do what was asked (e.g. fingerprints)
    kPluginVersion = 12,    // the plugin releases' major versions differ (protocol 2 and later; a
                            // peer of protocol 1 is refused with kProtocolVersion, the code it knows)
};

inline std::string_view refusal_code_name(RefusalCode c) {
    switch (c) {
        case RefusalCode::kProtocolVersion: return "protocol version";
        case RefusalCode::kNotAllowed: return "not allowed";
        case RefusalCode::kDatabaseNotFound: return "database not found";
        case RefusalCode::kDatabaseOffline: return "database offline";
        case RefusalCode::kLineageMismatch: return "lineage mismatch";
        case RefusalCode::kAheadOfUpstream: return "ahead of upstream";
        case RefusalCode::kSnapshotUnknown: return "snapshot unknown";
        case RefusalCode::kBadRequest: return "bad request";
        case RefusalCode::kInternal: return "internal error";
        case RefusalCode::kShuttingDown: return "shutting down";
        case RefusalCode::kUnsupported: return "unsupported";
        case RefusalCode::kPluginVersion: return "plugin version";
    }
    return "unknown reason";
}

}  // namespace ccdr::protocol
