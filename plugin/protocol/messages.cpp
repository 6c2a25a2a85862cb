#include "protocol/messages.hpp"

namespace ccdr::protocol {

// Checks on what the field types alone allow, run after a complete decode.

namespace {

void check_plugin_version(WireReader& r, const std::string& text) {
    if (!parse_plugin_version(text)) {
        r.fail("plugin_version", "'" + text + "' is not a MAJOR.MINOR.PATCH version");
    }
}

}  // namespace

void Hello::check(WireReader& r) const {
    if (min_version > max_version) {
        r.fail("version range",
               "is empty (min " + std::to_string(min_version) + " > max " + std::to_string(max_version) + ")");
    } else if (max_version >= kPluginVersionProtocol) {
        check_plugin_version(r, plugin_version);
    }
}

void HelloOk::check(WireReader& r) const {
    if (version == 0) {
        r.fail("version", "is 0 (protocol versions start at 1)");
    } else if (version >= kPluginVersionProtocol) {
        check_plugin_version(r, plugin_version);
    }
}

void DatabaseInfoReply::check(WireReader& r) const {
    if (kind > CCDR_KIND_SYSTEM) {
        r.fail("kind", "is " + std::to_string(kind) + ", not a database kind");
    }
}

void Subscribe::check(WireReader& r) const {
    if (from_tx == 0) {
        r.fail("from_tx", "is 0 (transaction ids start at 1)");
    }
}

void Ack::check(WireReader& r) const {
    if (hold_tx && *hold_tx > last_applied_tx) {
        r.fail("hold_tx", std::to_string(*hold_tx) + " is past last_applied_tx " + std::to_string(last_applied_tx));
    }
}

void HoldRelease::check(WireReader& r) const {
    if (replica_server_id && replica_server_id->empty()) {
        r.fail("replica_server_id", "is empty (absent means every member)");
    }
}

void SnapshotBegin::check(WireReader& r) const {
    if (offset > total_bytes) {
        r.fail("offset",
               std::to_string(offset) + " is past the snapshot's " + std::to_string(total_bytes) + " bytes");
    } else if (chunk_bytes == 0) {
        r.fail("chunk_bytes", "is 0");
    }
}

void Refused::check(WireReader& r) const {
    const auto value = static_cast<uint16_t>(code);
    if (value < 1 || value > static_cast<uint16_t>(RefusalCode::kPluginVersion)) {
        r.fail("code", std::to_string(value) + " is not a refusal code");
    }
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
        case MessageType::kSecurityRequest: return as.template operator()<SecurityRequest>();
        case MessageType::kSecuritySnapshot: return as.template operator()<SecuritySnapshot>();
        case MessageType::kFenceRequest: return as.template operator()<FenceRequest>();
        case MessageType::kFenced: return as.template operator()<Fenced>();
        case MessageType::kDemoteRequest: return as.template operator()<DemoteRequest>();
        case MessageType::kDemoted: return as.template operator()<Demoted>();
        case MessageType::kHistoryRequest: return as.template operator()<HistoryRequest>();
        case MessageType::kHistory: return as.template operator()<History>();
        case MessageType::kHoldStatus: return as.template operator()<HoldStatus>();
        case MessageType::kHoldRelease: return as.template operator()<HoldRelease>();
        case MessageType::kHoldReleased: return as.template operator()<HoldReleased>();
        case MessageType::kRunningFingerprintRequest: return as.template operator()<RunningFingerprintRequest>();
        case MessageType::kTxPart: {
            auto part = decode_tx_part(std::vector<uint8_t>(payload.begin(), payload.end()));
            if (!part) {
                return part.status();
            }
            return Message(std::move(part.value()));
        }
    }
    return Status(CCDR_CORRUPT, "unknown message type " + std::to_string(static_cast<int>(type)));
}

}  // namespace ccdr::protocol
