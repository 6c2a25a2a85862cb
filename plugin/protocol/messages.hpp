// plugin/protocol/messages.hpp: the session messages (every frame type but
// BATCH, which batch.hpp defines) and their payload encodings. Each message
// is a struct with its MessageType and its fields in wire order (`fields`,
// read and written by message_fields.hpp); encode_message/decode_message
// convert it to and from a frame payload. Field layouts are documented in
// docs/protocol.md, in the same order.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/frame.hpp"
#include "protocol/message_fields.hpp"
#include "protocol/message_type.hpp"
#include "protocol/plugin_version.hpp"
#include "protocol/tx_part.hpp"
#include "protocol/wire.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace ccdr::protocol {

// The replica's opening message. From protocol 2 on (max_version >= 2) it
// ends with the replica's plugin release version; a HELLO of protocol 1
// (max_version 1, a release before 0.2) has no such field.
struct Hello {
    static constexpr MessageType kType = MessageType::kHello;
    uint16_t min_version = kMinProtocolVersion;
    uint16_t max_version = kMaxProtocolVersion;
    std::string cluster_id;
    std::string server_id;
    std::string plugin_version;  // only on the wire when max_version >= 2
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("min_version", m.min_version);
        f("max_version", m.max_version);
        f("cluster_id", m.cluster_id);
        f("server_id", m.server_id);
        if (m.max_version >= kPluginVersionProtocol) {
            f("plugin_version", m.plugin_version);
        }
    }
    void check(WireReader& r) const;
};

// The upstream's answer: the protocol version chosen (the highest both
// speak) and, when that is 2 or more, the upstream's plugin release version.
struct HelloOk {
    static constexpr MessageType kType = MessageType::kHelloOk;
    uint16_t version = kMaxProtocolVersion;
    std::string cluster_id;
    std::string server_id;
    std::string plugin_version;  // only on the wire when version >= 2
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("version", m.version);
        f("cluster_id", m.cluster_id);
        f("server_id", m.server_id);
        if (m.version >= kPluginVersionProtocol) {
            f("plugin_version", m.plugin_version);
        }
    }
    void check(WireReader& r) const;
};

struct DatabaseInfoRequest {
    static constexpr MessageType kType = MessageType::kDatabaseInfoRequest;
    std::string name;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
    }
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
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("exists", m.exists);
        f("online", m.online);
        f("kind", m.kind);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("last_tx", m.last_tx);
        f("last_commit_ms", m.last_commit_ms);
        f("oldest_retained_tx", m.oldest_retained_tx);
        f("refusal", m.refusal);
    }
    void check(WireReader& r) const;
};

struct Subscribe {
    static constexpr MessageType kType = MessageType::kSubscribe;
    std::string name;  // the upstream database
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t from_tx = 1;
    std::string replica_database;  // the replica's own name, for the upstream's logs and metrics
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("from_tx", m.from_tx);
        f("replica_database", m.replica_database);
    }
    void check(WireReader& r) const;
};

struct Subscribed {
    static constexpr MessageType kType = MessageType::kSubscribed;
    uint64_t from_tx = 0;
    UpstreamPosition position;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("from_tx", m.from_tx);
        f("position", m.position);
    }
};

struct Heartbeat {
    static constexpr MessageType kType = MessageType::kHeartbeat;
    UpstreamPosition position;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("position", m.position);
    }
};

// From protocol 8 (kHoldCoverProtocol) a fan-out puller may add hold_tx:
// the position the upstream should hold its log from for it (keep tx
// hold_tx + 1 on), the lowest of its own and its followers' positions
// (docs/architecture.md, fan-out and log holds). Absent: hold from
// last_applied_tx, as before protocol 8. Never sent on an older session.
struct Ack {
    static constexpr MessageType kType = MessageType::kAck;
    uint64_t last_applied_tx = 0;
    std::optional<uint64_t> hold_tx;  // trailing, protocol 8
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("last_applied_tx", m.last_applied_tx);
        f("hold_tx", m.hold_tx);
    }
    void check(WireReader& r) const;
};

struct LogPruned {
    static constexpr MessageType kType = MessageType::kLogPruned;
    uint64_t from_tx = 0;
    uint64_t oldest_retained_tx = 0;
    uint64_t last_tx = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("from_tx", m.from_tx);
        f("oldest_retained_tx", m.oldest_retained_tx);
        f("last_tx", m.last_tx);
    }
};

struct SnapshotRequest {
    static constexpr MessageType kType = MessageType::kSnapshotRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t snapshot_id = 0;  // 0: a new snapshot; else resume this one
    uint64_t offset = 0;       // resume from this byte (a chunk boundary)
    std::string replica_database;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("snapshot_id", m.snapshot_id);
        f("offset", m.offset);
        f("replica_database", m.replica_database);
    }
};

struct SnapshotBegin {
    static constexpr MessageType kType = MessageType::kSnapshotBegin;
    uint64_t snapshot_id = 0;
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    uint64_t total_bytes = 0;
    uint64_t offset = 0;  // the first chunk sent starts here
    uint32_t chunk_bytes = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("snapshot_id", m.snapshot_id);
        f("tx_id", m.tx_id);
        f("commit_time_ms", m.commit_time_ms);
        f("total_bytes", m.total_bytes);
        f("offset", m.offset);
        f("chunk_bytes", m.chunk_bytes);
    }
    void check(WireReader& r) const;
};

// `data` views into the frame payload it was decoded from.
struct SnapshotChunk {
    static constexpr MessageType kType = MessageType::kSnapshotChunk;
    uint64_t snapshot_id = 0;
    uint64_t offset = 0;
    uint64_t data_hash = 0;  // xxh3_64 of data, kept with the chunk in the replica's spool index
    std::span<const uint8_t> data;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("snapshot_id", m.snapshot_id);
        f("offset", m.offset);
        f("data_hash", m.data_hash);
        f("data", m.data);
    }
};

struct SnapshotAck {
    static constexpr MessageType kType = MessageType::kSnapshotAck;
    uint64_t snapshot_id = 0;
    uint64_t verified_offset = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("snapshot_id", m.snapshot_id);
        f("verified_offset", m.verified_offset);
    }
};

struct SnapshotEnd {
    static constexpr MessageType kType = MessageType::kSnapshotEnd;
    uint64_t snapshot_id = 0;
    uint64_t total_bytes = 0;
    uint64_t file_hash = 0;  // xxh3_64 of the whole snapshot
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("snapshot_id", m.snapshot_id);
        f("total_bytes", m.total_bytes);
        f("file_hash", m.file_hash);
    }
};

struct Refused {
    static constexpr MessageType kType = MessageType::kRefused;
    RefusalCode code = RefusalCode::kBadRequest;
    std::string reason;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("code", m.code);
        f("reason", m.reason);
    }
    void check(WireReader& r) const;
};

// Asks for the content fingerprint of `name` at the upstream's current tx
// (internal.dbms.verifyReplicaDatabase). The lineage is checked as for
// SUBSCRIBE: a fingerprint of another lineage means nothing.
struct FingerprintRequest {
    static constexpr MessageType kType = MessageType::kFingerprintRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
    }
};

struct FingerprintReply {
    static constexpr MessageType kType = MessageType::kFingerprint;
    std::string name;
    uint64_t tx_id = 0;
    std::string algorithm;
    std::string fingerprint;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("tx_id", m.tx_id);
        f("algorithm", m.algorithm);
        f("fingerprint", m.fingerprint);
    }
};

// Asks for the users and roles of the upstream's cluster
// (internal.dbms.compareSecurity). `name` is the database the replica
// follows: the upstream answers only a peer it would let replicate it.
struct SecurityRequest {
    static constexpr MessageType kType = MessageType::kSecurityRequest;
    std::string name;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
    }
};

// Every user of the upstream's cluster and its roles, by name; never a
// password or a hash.
struct SecuritySnapshot {
    static constexpr MessageType kType = MessageType::kSecuritySnapshot;
    std::string cluster_id;
    std::vector<UserRoles> users;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("cluster_id", m.cluster_id);
        f("users", m.users);
    }
};

// Fences (fence = true) or unfences a database of the upstream's cluster.
// For a planned switchover (heal = false) the peer's cluster must be
// subscribed to `name` with `replica_database`, `store_id` and `epoch` are
// the upstream's own lineage, and the session stays open for the
// DEMOTE_REQUEST or the unfence that follows, for up to hold_ms. For fence
// on heal (heal = true) the peer's database was promoted away from `name`:
// `epoch` is the promoted database's (greater than the upstream's own).
struct FenceRequest {
    static constexpr MessageType kType = MessageType::kFenceRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    bool fence = true;
    bool heal = false;
    std::string replica_database;  // the peer's database (the replica, or the promoted one)
    std::string reason;            // kept with the fence and shown in the upstream's status message
    uint64_t hold_ms = 0;          // switchover: how long the session waits for the next step
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("fence", m.fence);
        f("heal", m.heal);
        f("replica_database", m.replica_database);
        f("reason", m.reason);
        f("hold_ms", m.hold_ms);
    }
};

struct Fenced {
    static constexpr MessageType kType = MessageType::kFenced;
    std::string name;
    bool read_only = false;
    uint64_t last_tx = 0;  // with read_only: no user write commits after it
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("read_only", m.read_only);
        f("last_tx", m.last_tx);
    }
};

// After a switchover's promotion: the fenced `name` (still of lineage
// store_id/epoch) becomes a replica of the peer's promoted `remote` (epoch
// new_epoch) at `addresses`, continuing at at_tx + 1. Only on the session
// that fenced it.
struct DemoteRequest {
    static constexpr MessageType kType = MessageType::kDemoteRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t new_epoch = 0;
    uint64_t at_tx = 0;
    std::string remote;
    std::vector<std::string> addresses;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("new_epoch", m.new_epoch);
        f("at_tx", m.at_tx);
        f("remote", m.remote);
        f("addresses", m.addresses);
    }
};

struct Demoted {
    static constexpr MessageType kType = MessageType::kDemoted;
    std::string name;
    uint64_t at_tx = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("at_tx", m.at_tx);
    }
};

// Hashes of the upstream's transactions from_tx..to_tx (at most
// kMaxHistoryHashes), for a database of the same store id
// (internal.dbms.reattachAsReplica finds the last transaction two histories
// share). Each hash is tx_hash() of the transaction as read_log returns it.
struct HistoryRequest {
    static constexpr MessageType kType = MessageType::kHistoryRequest;
    std::string name;
    std::string store_id;
    uint64_t from_tx = 1;
    uint64_t to_tx = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("from_tx", m.from_tx);
        f("to_tx", m.to_tx);
    }
};

inline constexpr uint64_t kMaxHistoryHashes = 4096;

// Asks for the upstream member's running fingerprint as of tx_id
// (ccdr.replica.verify_interval: continuous verification). Lineage checked
// as for SUBSCRIBE; answered with FINGERPRINT (tx_id = the request's) or
// REFUSED: code kUnsupported (its reason begins with
// kRunningFingerprintUnsupported) when the upstream's host keeps none,
// kBadRequest when its log no longer holds tx_id or tx_id is past its last
// committed tx.
struct RunningFingerprintRequest {
    static constexpr MessageType kType = MessageType::kRunningFingerprintRequest;
    std::string name;
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t tx_id = 0;
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("store_id", m.store_id);
        f("epoch", m.epoch);
        f("tx_id", m.tx_id);
    }
};

// How a refusal of RUNNING_FINGERPRINT_REQUEST for want of support begins:
// the replica reports "unsupported" rather than an error.
inline constexpr const char* kRunningFingerprintUnsupported = "running fingerprints unsupported";

struct History {
    static constexpr MessageType kType = MessageType::kHistory;
    std::string name;
    uint64_t epoch = 0;
    uint64_t last_tx = 0;
    uint64_t oldest_retained_tx = 0;
    uint64_t from_tx = 0;          // hashes[0] is of this tx
    std::vector<uint64_t> hashes;  // consecutive ids; fewer than asked when the log ends
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("epoch", m.epoch);
        f("last_tx", m.last_tx);
        f("oldest_retained_tx", m.oldest_retained_tx);
        f("from_tx", m.from_tx);
        f("hashes", m.hashes);
    }
};

// Protocol 3 (docs/operations.md §10, the log held for replicas). Sent on a
// subscription, with each heartbeat and at least once per heartbeat interval
// while batches flow, to a replica of protocol 3 or later only.
struct HoldStatus {
    static constexpr MessageType kType = MessageType::kHoldStatus;
    int64_t catch_up_window_ms = -1;  // -1: this upstream server holds no log for the member
    uint64_t held_from_tx = 0;        // the first tx held for it (its acknowledged tx + 1)
    uint64_t max_bytes = 0;           // the cap: ccdr.upstream.replica_log_hold.max_size
    int64_t max_age_ms = 0;           // and .max_age
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("catch_up_window_ms", m.catch_up_window_ms);
        f("held_from_tx", m.held_from_tx);
        f("max_bytes", m.max_bytes);
        f("max_age_ms", m.max_age_ms);
    }
};

// Replica -> upstream (protocol 3): the replica database `replica_database`
// of the sender's cluster (HELLO's cluster id) is dropped; the upstream ends
// the log it holds for every member of it, of its database `name`.
// From protocol 8, with replica_server_id: only that server's member's hold
// ends (it follows another member now, whose puller's hold covers it);
// never sent on an older session, where it would end every member's.
struct HoldRelease {
    static constexpr MessageType kType = MessageType::kHoldRelease;
    std::string name;
    std::string replica_database;
    std::optional<std::string> replica_server_id;  // trailing, protocol 8
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("name", m.name);
        f("replica_database", m.replica_database);
        f("replica_server_id", m.replica_server_id);
    }
    void check(WireReader& r) const;
};

struct HoldReleased {
    static constexpr MessageType kType = MessageType::kHoldReleased;
    uint32_t released = 0;  // holds ended on this upstream server
    template <class Self, class F>
    static void fields(Self& m, F&& f) {
        f("released", m.released);
    }
};

template <typename M>
std::vector<uint8_t> encode_message(const M& message) {
    std::vector<uint8_t> out;
    WireWriter w(out);
    M::fields(message, FieldWriter{w});
    return out;
}

// Decodes a payload as message M: every byte must be consumed, and what the
// fields' types allow must also pass the message's own check() if it has one.
template <typename M>
Result<M> decode_message_as(std::span<const uint8_t> payload) {
    WireReader r(payload);
    M m;
    M::fields(m, FieldReader{r});
    if constexpr (requires { m.check(r); }) {
        if (r.ok()) {
            m.check(r);
        }
    }
    r.expect_end(std::string(message_type_name(M::kType)).c_str());
    if (!r.ok()) {
        return Status(CCDR_CORRUPT, "malformed " + std::string(message_type_name(M::kType)) + ": " + r.error());
    }
    return m;
}

using Message = std::variant<Hello, HelloOk, DatabaseInfoRequest, DatabaseInfoReply, Subscribe, Subscribed, DecodedBatch,
                             Heartbeat, Ack, LogPruned, SnapshotRequest, SnapshotBegin, SnapshotChunk, SnapshotAck,
                             SnapshotEnd, Refused, FingerprintRequest, FingerprintReply, SecurityRequest,
                             SecuritySnapshot, FenceRequest, Fenced, DemoteRequest, Demoted, HistoryRequest, History,
                             HoldStatus, HoldRelease, HoldReleased, RunningFingerprintRequest, TxPart>;

// Decodes any message by type (a SnapshotChunk's data views into `payload`).
Result<Message> decode_message(MessageType type, std::span<const uint8_t> payload);

}  // namespace ccdr::protocol
