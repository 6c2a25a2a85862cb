// test/support/raw_subscriber.hpp: a replica peer written out by hand (no
// replica member): HELLO offering protocols 1..max_version, SUBSCRIBE to foo
// from tx 1, then BATCH and TX_PART frames read and chain-checked until a tx,
// counting how they travelled. For tests of what an upstream sends to a peer
// of a given protocol version.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"
#include "protocol/tx_part.hpp"
#include "session/exchange.hpp"
#include "support/plugin_loopback.hpp"
#include "support/replication_world.hpp"
#include "transport/connector.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace ccdr::test {

struct PeerSaw {
    std::string error;
    uint16_t version = 0;
    uint64_t last_tx = 0;
    size_t batches = 0;       // BATCH frames
    size_t part_frames = 0;   // TX_PART frames
    size_t stream_frames = 0;
    size_t short_frames = 0;    // stream blocks with a short header (protocol 6 or 7)
    size_t compact_frames = 0;  // ... of them with the compact one (protocol 7)
    size_t block_frames = 0;
    size_t plain_frames = 0;
    uint64_t batch_wire_bytes = 0;
    size_t largest_payload = 0;  // of any BATCH or TX_PART frame, uncompressed
};

// Subscribes to foo from tx 1 as a replica offering protocols 1..max_version
// and reads until tx `until`, checking the hash chain of every transaction.
inline PeerSaw subscribe_as(ReplicationWorld& w, uint16_t max_version, uint64_t until) {
    auto up = w.upstream->member("foo");
    REQUIRE(up);
    const std::string store_id = up->store_id;
    const uint64_t epoch = up->epoch;
    PluginLoopback loop(*w.replica, nullptr);
    auto strand = loop.runtime().make_strand();
    const std::string address = w.upstream_address();
    return loop.run<PeerSaw>(strand, [&]() -> asio::awaitable<PeerSaw> {
        PeerSaw s;
        auto connected = co_await loop.connect(strand, address);
        if (!connected) {
            s.error = connected.status().message();
            co_return s;
        }
        auto c = connected.value();
        protocol::Hello hello{1, max_version, "peer-cluster", "peer-1", std::string(kLoopbackPluginVersion)};
        co_await session::send(*c, hello);
        auto ok = co_await session::receive<protocol::HelloOk>(*c, 5s);
        if (!ok || ok->refused) {
            s.error = ok ? ok->refused->reason : ok.status().message();
            co_return s;
        }
        s.version = ok->message->version;
        protocol::Subscribe subscribe{"foo", store_id, epoch, 1, "foo-peer"};
        co_await session::send(*c, subscribe);
        auto subscribed = co_await session::receive<protocol::Subscribed>(*c, 5s);
        if (!subscribed || subscribed->refused) {
            s.error = subscribed ? subscribed->refused->reason : subscribed.status().message();
            co_return s;
        }
        protocol::ChainVerifier verifier(protocol::chain_seed(store_id, epoch, 1), 1);
        protocol::TxPartVerifier parts;
        protocol::BatchUnpacker unpacker;  // BATCH payloads of short frames (protocol 6 and 7)
        while (s.last_tx < until) {
            auto frame = co_await c->read_frame(10s);
            if (!frame) {
                s.error = frame.status().message();
                break;
            }
            const auto type = frame->header.type;
            if (type != protocol::MessageType::kBatch && type != protocol::MessageType::kTxPart) {
                continue;  // heartbeats, HOLD_STATUS
            }
            s.batch_wire_bytes += frame->wire_bytes;
            s.stream_frames += frame->header.streamed() ? 1 : 0;
            s.short_frames += frame->header.short_form() ? 1 : 0;
            s.compact_frames += frame->header.form == protocol::StreamFrameForm::kCompact ? 1 : 0;
            s.block_frames += frame->header.compressed() ? 1 : 0;
            s.plain_frames += frame->header.flags == 0 ? 1 : 0;
            s.largest_payload = std::max(s.largest_payload, frame->payload.size());
            if (type == protocol::MessageType::kTxPart) {
                ++s.part_frames;
                auto part = protocol::decode_tx_part(std::move(frame->payload));
                if (!part) {
                    s.error = part.status().message();
                    break;
                }
                if (auto accepted = parts.accept(*part, verifier); !accepted) {
                    s.error = accepted.message();
                    break;
                }
                if (part->last()) {
                    s.last_tx = part->header.tx_id;
                }
                continue;
            }
            ++s.batches;
            if (frame->header.short_form()) {
                std::vector<uint8_t> unpacked;
                if (auto unpacked_ok = unpacker.unpack(frame->payload, unpacked); !unpacked_ok) {
                    s.error = unpacked_ok.message();
                    break;
                }
                frame->payload = std::move(unpacked);
            }
            auto batch = protocol::decode_batch(std::move(frame->payload));
            if (!batch) {
                s.error = batch.status().message();
                break;
            }
            if (auto verified = verifier.verify(*batch); !verified) {
                s.error = verified.message();
                break;
            }
            s.last_tx = batch->txs.back().tx_id;
        }
        c->close("done");
        co_return s;
    });
}

}  // namespace ccdr::test
