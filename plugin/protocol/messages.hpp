// plugin/protocol/messages.hpp: the session messages (every frame type but
// BATCH, which batch.hpp defines) and their payload encodings. Each message
// is a struct with its MessageType; encode_message/decode_message convert it
// to and from a frame payload. Field layouts are documented in
// docs/protocol.md, in the order the encoders write them.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/frame.hpp"
#include "protocol/message_type.hpp"
#include "protocol/wire.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace ccdr::protocol {

struct Hello {
    static constexpr MessageType kType = MessageType::kHello;
    uint16_t min_version = kMinProtocolVersion;
    uint16_t max_version = kMaxProtocolVersion;
    std::string cluster_id;
    std::string server_id;
    void encode(WireWriter& w) const;
    static Hello decode(WireReader& r);
};

struct HelloOk {
    static constexpr MessageType kType = MessageType::kHelloOk;
    uint16_t version = kMaxProtocolVersion;
    std::string cluster_id;
    std::string server_id;
    void encode(WireWriter& w) const;
    static HelloOk decode(WireReader& r);
};

struct DatabaseInfoRequest {
    static constexpr MessageType kType = MessageType::kDatabaseInfoRequest;
    std::string name;
    void encode(WireWriter& w) const;
    static DatabaseInfoRequest decode(WireReader& r);
};

// What an upstream server tells a replica about one of its databases.
struct DatabaseInfoReply {
    static constexpr MessageType kType = MessageType::kDatabaseInfo;
    std::string name;
    bool exists = false;
    bool online = false;
    uint8_t kind = 0;  // ccdr_database_kind, 0 when it does not exist
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t last_tx = 0;
    int64_t last_commit_ms = 0;
    uint64_t oldest_retained_tx = 0;
    std::string refusal;  // non-empty: the upstream will not serve it, and why
    void encode(WireWriter& w) const;
    static DatabaseInfoReply decode(WireReader& r);
};

struct Subscribe {
    static constexpr MessageType kType = MessageType::kSubscribe;
    std::string name;  // the upstream database
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t from_tx = 1;
    std::string replica_database;  // the replica's own name, for the upstream's logs and metrics
    void encode(WireWriter& w) const;
    static Subscribe decode(WireReader& r);
};

struct Subscribed {
    static constexpr MessageType kType = MessageType::kSubscribed;
    uint64_t from_tx = 0;
    UpstreamPosition position;
    void encode(WireWriter& w) const;
    static Subscribed decode(WireReader& r);
};

struct Heartbeat {
    static constexpr MessageType kType = MessageType::kHeartbeat;
    UpstreamPosition position;
    void encode(WireWriter& w) const;
    static Heartbeat decode(WireReader& r);
};

struct Ack {
    static constexpr MessageType kType = MessageType::kAck;
    uint64_t last_applied_tx = 0;
    void encode(WireWriter& w) const;
    static Ack decode(WireReader& r);
};

struct LogPruned {
    static constexpr MessageType kType = MessageType::kLogPruned;
    uint64_t from_tx = 0;
    uint64_t oldest_retained_tx = 0;
    uint64_t last_tx = 0;
    void encode(WireWriter& w) const;
    static LogPruned decode(WireReader& r);
};

struct SnapshotRequest {
    static constexpr MessageType kType = MessageType::kSnapshotRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t snapshot_id = 0;  // 0: a new snapshot; else resume this one
    uint64_t offset = 0;       // resume from this byte (a chunk boundary)
    std::string replica_database;
    void encode(WireWriter& w) const;
    static SnapshotRequest decode(WireReader& r);
};

struct SnapshotBegin {
    static constexpr MessageType kType = MessageType::kSnapshotBegin;
    uint64_t snapshot_id = 0;
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    uint64_t total_bytes = 0;
    uint64_t offset = 0;  // the first chunk sent starts here
    uint32_t chunk_bytes = 0;
    void encode(WireWriter& w) const;
    static SnapshotBegin decode(WireReader& r);
};

// `data` views into the frame payload it was decoded from.
struct SnapshotChunk {
    static constexpr MessageType kType = MessageType::kSnapshotChunk;
    uint64_t snapshot_id = 0;
    uint64_t offset = 0;
    uint64_t data_hash = 0;  // xxh3_64 of data, kept with the chunk in the replica's spool index
    std::span<const uint8_t> data;
    void encode(WireWriter& w) const;
    static SnapshotChunk decode(WireReader& r);
};

struct SnapshotAck {
    static constexpr MessageType kType = MessageType::kSnapshotAck;
    uint64_t snapshot_id = 0;
    uint64_t verified_offset = 0;
    void encode(WireWriter& w) const;
    static SnapshotAck decode(WireReader& r);
};

struct SnapshotEnd {
    static constexpr MessageType kType = MessageType::kSnapshotEnd;
    uint64_t snapshot_id = 0;
    uint64_t total_bytes = 0;
    uint64_t file_hash = 0;  // xxh3_64 of the whole snapshot
    void encode(WireWriter& w) const;
    static SnapshotEnd decode(WireReader& r);
};

struct Refused {
    static constexpr MessageType kType = MessageType::kRefused;
    RefusalCode code = RefusalCode::kBadRequest;
    std::string reason;
    void encode(WireWriter& w) const;
    static Refused decode(WireReader& r);
};

// Asks for the content fingerprint of `name` at the upstream's current tx
// (internal.dbms.verifyReplicaDatabase). The lineage is checked as for
// SUBSCRIBE: a fingerprint of another lineage means nothing.
struct FingerprintRequest {
    static constexpr MessageType kType = MessageType::kFingerprintRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    void encode(WireWriter& w) const;
    static FingerprintRequest decode(WireReader& r);
};

struct FingerprintReply {
    static constexpr MessageType kType = MessageType::kFingerprint;
    std::string name;
    uint64_t tx_id = 0;
    std::string algorithm;
    std::string fingerprint;
    void encode(WireWriter& w) const;
    static FingerprintReply decode(WireReader& r);
};

template <typename M>
std::vector<uint8_t> encode_message(const M& message) {
    std::vector<uint8_t> out;
    WireWriter w(out);
    message.encode(w);
    return out;
}

// Decodes a payload as message M: every byte must be consumed.
template <typename M>
Result<M> decode_message_as(std::span<const uint8_t> payload) {
    WireReader r(payload);
    M m = M::decode(r);
    r.expect_end(std::string(message_type_name(M::kType)).c_str());
    if (!r.ok()) {
        return Status(CCDR_CORRUPT, "malformed " + std::string(message_type_name(M::kType)) + ": " + r.error());
    }
    return m;
}

using Message = std::variant<Hello, HelloOk, DatabaseInfoRequest, DatabaseInfoReply, Subscribe, Subscribed, DecodedBatch,
                             Heartbeat, Ack, LogPruned, SnapshotRequest, SnapshotBegin, SnapshotChunk, SnapshotAck,
                             SnapshotEnd, Refused, FingerprintRequest, FingerprintReply>;

// Decodes any message by type (a SnapshotChunk's data views into `payload`).
Result<Message> decode_message(MessageType type, std::span<const uint8_t> payload);

}  // namespace ccdr::protocol
