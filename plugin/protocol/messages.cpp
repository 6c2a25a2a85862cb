#include "protocol/messages.hpp"

namespace ccdr::protocol {
namespace {

void encode_position(WireWriter& w, const UpstreamPosition& p) {
    w.u64(p.last_tx);
    w.i64(p.last_commit_ms);
    w.i64(p.sent_at_ms);
}

UpstreamPosition decode_position(WireReader& r) {
    UpstreamPosition p;
    p.last_tx = r.u64("upstream last_tx");
    p.last_commit_ms = r.i64("upstream last_commit_ms");
    p.sent_at_ms = r.i64("upstream sent_at_ms");
    return p;
}

}  // namespace

void Hello::encode(WireWriter& w) const {
    w.u16(min_version);
    w.u16(max_version);
    w.str(cluster_id);
    w.str(server_id);
}
Hello Hello::decode(WireReader& r) {
    Hello m;
    m.min_version = r.u16("min_version");
    m.max_version = r.u16("max_version");
    m.cluster_id = r.str("cluster_id");
    m.server_id = r.str("server_id");
    if (r.ok() && m.min_version > m.max_version) {
        r.fail("version range", "is empty (min " + std::to_string(m.min_version) + " > max " +
                                    std::to_string(m.max_version) + ")");
    }
    return m;
}

void HelloOk::encode(WireWriter& w) const {
    w.u16(version);
    w.str(cluster_id);
    w.str(server_id);
}
HelloOk HelloOk::decode(WireReader& r) {
    HelloOk m;
    m.version = r.u16("version");
    m.cluster_id = r.str("cluster_id");
    m.server_id = r.str("server_id");
    return m;
}

void DatabaseInfoRequest::encode(WireWriter& w) const { w.str(name); }
DatabaseInfoRequest DatabaseInfoRequest::decode(WireReader& r) {
    DatabaseInfoRequest m;
    m.name = r.str("name");
    return m;
}

void DatabaseInfoReply::encode(WireWriter& w) const {
    w.str(name);
    w.boolean(exists);
    w.boolean(online);
    w.u8(kind);
    w.str(store_id);
    w.u64(epoch);
    w.u64(last_tx);
    w.i64(last_commit_ms);
    w.u64(oldest_retained_tx);
    w.str(refusal);
}
DatabaseInfoReply DatabaseInfoReply::decode(WireReader& r) {
    DatabaseInfoReply m;
    m.name = r.str("name");
    m.exists = r.boolean("exists");
    m.online = r.boolean("online");
    m.kind = r.u8("kind");
    m.store_id = r.str("store_id");
    m.epoch = r.u64("epoch");
    m.last_tx = r.u64("last_tx");
    m.last_commit_ms = r.i64("last_commit_ms");
    m.oldest_retained_tx = r.u64("oldest_retained_tx");
    m.refusal = r.str("refusal");
    if (r.ok() && m.kind > CCDR_KIND_SYSTEM) {
        r.fail("kind", "is " + std::to_string(m.kind) + ", not a database kind");
    }
    return m;
}

void Subscribe::encode(WireWriter& w) const {
    w.str(name);
    w.str(store_id);
    w.u64(epoch);
    w.u64(from_tx);
    w.str(replica_database);
}
Subscribe Subscribe::decode(WireReader& r) {
    Subscribe m;
    m.name = r.str("name");
    m.store_id = r.str("store_id");
    m.epoch = r.u64("epoch");
    m.from_tx = r.u64("from_tx");
    m.replica_database = r.str("replica_database");
    if (r.ok() && m.from_tx == 0) {
        r.fail("from_tx", "is 0 (transaction ids start at 1)");
    }
    return m;
}

void Subscribed::encode(WireWriter& w) const {
    w.u64(from_tx);
    encode_position(w, position);
}
Subscribed Subscribed::decode(WireReader& r) {
    Subscribed m;
    m.from_tx = r.u64("from_tx");
    m.position = decode_position(r);
    return m;
}

void Heartbeat::encode(WireWriter& w) const { encode_position(w, position); }
Heartbeat Heartbeat::decode(WireReader& r) {
    Heartbeat m;
    m.position = decode_position(r);
    return m;
}

void Ack::encode(WireWriter& w) const { w.u64(last_applied_tx); }
Ack Ack::decode(WireReader& r) {
    Ack m;
    m.last_applied_tx = r.u64("last_applied_tx");
    return m;
}

void LogPruned::encode(WireWriter& w) const {
    w.u64(from_tx);
    w.u64(oldest_retained_tx);
    w.u64(last_tx);
}
LogPruned LogPruned::decode(WireReader& r) {
    LogPruned m;
    m.from_tx = r.u64("from_tx");
    m.oldest_retained_tx = r.u64("oldest_retained_tx");
    m.last_tx = r.u64("last_tx");
    return m;
}

void SnapshotRequest::encode(WireWriter& w) const {
    w.str(name);
    w.str(store_id);
    w.u64(epoch);
    w.u64(snapshot_id);
    w.u64(offset);
    w.str(replica_database);
}
SnapshotRequest SnapshotRequest::decode(WireReader& r) {
    SnapshotRequest m;
    m.name = r.str("name");
    m.store_id = r.str("store_id");
    m.epoch = r.u64("epoch");
    m.snapshot_id = r.u64("snapshot_id");
    m.offset = r.u64("offset");
    m.replica_database = r.str("replica_database");
    return m;
}

void SnapshotBegin::encode(WireWriter& w) const {
    w.u64(snapshot_id);
    w.u64(tx_id);
    w.i64(commit_time_ms);
    w.u64(total_bytes);
    w.u64(offset);
    w.u32(chunk_bytes);
}
SnapshotBegin SnapshotBegin::decode(WireReader& r) {
    SnapshotBegin m;
    m.snapshot_id = r.u64("snapshot_id");
    m.tx_id = r.u64("tx_id");
    m.commit_time_ms = r.i64("commit_time_ms");
    m.total_bytes = r.u64("total_bytes");
    m.offset = r.u64("offset");
    m.chunk_bytes = r.u32("chunk_bytes");
    if (r.ok() && m.offset > m.total_bytes) {
        r.fail("offset", std::to_string(m.offset) + " is past the snapshot's " + std::to_string(m.total_bytes) +
                             " bytes");
    }
    if (r.ok() && m.chunk_bytes == 0) {
        r.fail("chunk_bytes", "is 0");
    }
    return m;
}

void SnapshotChunk::encode(WireWriter& w) const {
    w.u64(snapshot_id);
    w.u64(offset);
    w.u64(data_hash);
    w.raw(data.data(), data.size());
}
SnapshotChunk SnapshotChunk::decode(WireReader& r) {
    SnapshotChunk m;
    m.snapshot_id = r.u64("snapshot_id");
    m.offset = r.u64("offset");
    m.data_hash = r.u64("data_hash");
    m.data = r.take(r.remaining(), "data");
    return m;
}

void SnapshotAck::encode(WireWriter& w) const {
    w.u64(snapshot_id);
    w.u64(verified_offset);
}
SnapshotAck SnapshotAck::decode(WireReader& r) {
    SnapshotAck m;
    m.snapshot_id = r.u64("snapshot_id");
    m.verified_offset = r.u64("verified_offset");
    return m;
}

void SnapshotEnd::encode(WireWriter& w) const {
    w.u64(snapshot_id);
    w.u64(total_bytes);
    w.u64(file_hash);
}
SnapshotEnd SnapshotEnd::decode(WireReader& r) {
    SnapshotEnd m;
    m.snapshot_id = r.u64("snapshot_id");
    m.total_bytes = r.u64("total_bytes");
    m.file_hash = r.u64("file_hash");
    return m;
}

void Refused::encode(WireWriter& w) const {
    w.u16(static_cast<uint16_t>(code));
    w.str(reason);
}
Refused Refused::decode(WireReader& r) {
    Refused m;
    const uint16_t code = r.u16("code");
    if (r.ok() && (code < 1 || code > static_cast<uint16_t>(RefusalCode::kUnsupported))) {
        r.fail("code", std::to_string(code) + " is not a refusal code");
    }
    m.code = static_cast<RefusalCode>(code);
    m.reason = r.str("reason");
    return m;
}

void FingerprintRequest::encode(WireWriter& w) const {
    w.str(name);
    w.str(store_id);
    w.u64(epoch);
}
FingerprintRequest FingerprintRequest::decode(WireReader& r) {
    FingerprintRequest m;
    m.name = r.str("name");
    m.store_id = r.str("store_id");
    m.epoch = r.u64("epoch");
    return m;
}

void FingerprintReply::encode(WireWriter& w) const {
    w.str(name);
    w.u64(tx_id);
    w.str(algorithm);
    w.str(fingerprint);
}
FingerprintReply FingerprintReply::decode(WireReader& r) {
    FingerprintReply m;
    m.name = r.str("name");
    m.tx_id = r.u64("tx_id");
    m.algorithm = r.str("algorithm");
    m.fingerprint = r.str("fingerprint");
    return m;
}

Result<Message> decode_message(MessageType type, std::span<const uint8_t> payload) {
    auto as = [&]<typename M>() -> Result<Message> {
        auto m = decode_message_as<M>(payload);
        if (!m) {
            return m.status();
        }
        return Message(std::move(m.value()));
    };
    switch (type) {
        case MessageType::kHello: return as.template operator()<Hello>();
        case MessageType::kHelloOk: return as.template operator()<HelloOk>();
        case MessageType::kDatabaseInfoRequest: return as.template operator()<DatabaseInfoRequest>();
        case MessageType::kDatabaseInfo: return as.template operator()<DatabaseInfoReply>();
        case MessageType::kSubscribe: return as.template operator()<Subscribe>();
        case MessageType::kSubscribed: return as.template operator()<Subscribed>();
        case MessageType::kBatch: {
            auto b = decode_batch(std::vector<uint8_t>(payload.begin(), payload.end()));
            if (!b) {
                return b.status();
            }
            return Message(std::move(b.value()));
        }
        case MessageType::kHeartbeat: return as.template operator()<Heartbeat>();
        case MessageType::kAck: return as.template operator()<Ack>();
        case MessageType::kLogPruned: return as.template operator()<LogPruned>();
        case MessageType::kSnapshotRequest: return as.template operator()<SnapshotRequest>();
        case MessageType::kSnapshotBegin: return as.template operator()<SnapshotBegin>();
        case MessageType::kSnapshotChunk: return as.template operator()<SnapshotChunk>();
        case MessageType::kSnapshotAck: return as.template operator()<SnapshotAck>();
        case MessageType::kSnapshotEnd: return as.template operator()<SnapshotEnd>();
        case MessageType::kRefused: return as.template operator()<Refused>();
        case MessageType::kFingerprintRequest: return as.template operator()<FingerprintRequest>();
        case MessageType::kFingerprint: return as.template operator()<FingerprintReply>();
    }
    return Status(CCDR_CORRUPT, "unknown message type " + std::to_string(static_cast<int>(type)));
}

}  // namespace ccdr::protocol
