// Writes the committed seed corpus of the protocol fuzz targets:
//   make_seed_corpus <dir>  -> <dir>/frame_decoder/*, <dir>/session_decoder/*
// Seeds are valid frames and messages of every type, so the fuzzers start
// from inputs that reach deep into the decoders.
#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace ccdr::protocol;

namespace {

void write(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> batch_payload(size_t count, size_t size) {
    std::vector<std::vector<uint8_t>> payloads;
    BatchBuilder builder(chain_seed("seed-store", 1, 1), 1);
    for (size_t i = 0; i < count; ++i) {
        std::string text = "CREATE (:Person {id: " + std::to_string(i) + ", name: 'p" + std::to_string(i % 17) + "'})";
        text.resize(size, 'x');
        payloads.emplace_back(text.begin(), text.end());
    }
    for (size_t i = 0; i < count; ++i) {
        ccdr_tx tx{i + 1, 1'700'000'000'000 + static_cast<int64_t>(i), {payloads[i].data(), payloads[i].size()}};
        (void)builder.add(tx);
    }
    return builder.finish({count, 1'700'000'000'000 + static_cast<int64_t>(count), 1'700'000'000'500});
}

std::vector<uint8_t> framed(MessageType type, std::vector<uint8_t> payload, bool compress) {
    auto f = encode_frame(type, std::move(payload), compress, FrameLimits{});
    std::vector<uint8_t> out(f->header.begin(), f->header.end());
    out.insert(out.end(), f->body.begin(), f->body.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        return 2;
    }
    const std::filesystem::path root(argv[1]);
    std::filesystem::create_directories(root / "frame_decoder");
    std::filesystem::create_directories(root / "session_decoder");

    std::vector<std::pair<std::string, std::pair<MessageType, std::vector<uint8_t>>>> messages = {
        {"hello", {MessageType::kHello, encode_message(Hello{1, 1, "cluster-a", "server-1", ""})}},
        {"hello_ok", {MessageType::kHelloOk, encode_message(HelloOk{1, "cluster-b", "server-2", ""})}},
        {"hello_v2", {MessageType::kHello, encode_message(Hello{1, 2, "cluster-a", "server-1", "0.2.0"})}},
        {"hello_ok_v2", {MessageType::kHelloOk, encode_message(HelloOk{2, "cluster-b", "server-2", "0.2.0"})}},
        {"info_request", {MessageType::kDatabaseInfoRequest, encode_message(DatabaseInfoRequest{"foo"})}},
        {"info", {MessageType::kDatabaseInfo,
                  encode_message(DatabaseInfoReply{"foo", true, true, 1, "0f1e2d3c", 1, 99, 1700000000000, 1, ""})}},
        {"subscribe", {MessageType::kSubscribe, encode_message(Subscribe{"foo", "0f1e2d3c", 1, 100, "foo-replica"})}},
        {"subscribed", {MessageType::kSubscribed, encode_message(Subscribed{100, {99, 1700000000000, 1700000000001}})}},
        {"batch", {MessageType::kBatch, batch_payload(5, 60)}},
        {"heartbeat", {MessageType::kHeartbeat, encode_message(Heartbeat{{99, 1700000000000, 1700000000001}})}},
        {"ack", {MessageType::kAck, encode_message(Ack{99, std::nullopt})}},
        {"log_pruned", {MessageType::kLogPruned, encode_message(LogPruned{1, 50, 99})}},
        {"snapshot_request",
         {MessageType::kSnapshotRequest, encode_message(SnapshotRequest{"foo", "0f1e2d3c", 1, 7, 4096, "r"})}},
        {"snapshot_begin", {MessageType::kSnapshotBegin, encode_message(SnapshotBegin{7, 99, 1, 10000, 0, 4096})}},
        {"snapshot_ack", {MessageType::kSnapshotAck, encode_message(SnapshotAck{7, 4096})}},
        {"snapshot_end", {MessageType::kSnapshotEnd, encode_message(SnapshotEnd{7, 10000, 12345})}},
        {"refused", {MessageType::kRefused, encode_message(Refused{RefusalCode::kLineageMismatch, "store id differs"})}},
    };
    std::vector<uint8_t> part_data(300, 'p');
    const TxPartHeader part{{99, 1700000000000, 1700000000001}, 42, 1700000000000, 600, 0};
    messages.push_back({"tx_part_first", {MessageType::kTxPart, encode_tx_part(part, part_data, std::nullopt)}});
    TxPartHeader last_part = part;
    last_part.offset = 300;
    messages.push_back({"tx_part_last", {MessageType::kTxPart, encode_tx_part(last_part, part_data, 0x1234)}});
    std::vector<uint8_t> chunk_data(300, 'c');
    messages.push_back({"snapshot_chunk",
                        {MessageType::kSnapshotChunk, encode_message(SnapshotChunk{7, 0, 42, chunk_data})}});
    for (const auto& [name, m] : messages) {
        std::vector<uint8_t> typed{static_cast<uint8_t>(m.first)};
        typed.insert(typed.end(), m.second.begin(), m.second.end());
        write(root / "session_decoder" / name, typed);
        write(root / "frame_decoder" / name, framed(m.first, m.second, false));
    }
    write(root / "frame_decoder" / "batch_lz4", framed(MessageType::kBatch, batch_payload(40, 200), true));
    auto two = framed(MessageType::kAck, encode_message(Ack{5, std::nullopt}), false);
    auto hb = framed(MessageType::kHeartbeat, encode_message(Heartbeat{{5, 1, 2}}), false);
    two.insert(two.end(), hb.begin(), hb.end());
    write(root / "frame_decoder" / "two_frames", two);
    // Protocol 4: three BATCH frames of one LZ4 stream (the second and third
    // copy from the first), with a heartbeat between them as on a session.
    Lz4StreamEncoder stream;
    std::vector<uint8_t> streamed;
    for (size_t i = 0; i < 3; ++i) {
        auto f = encode_frame(MessageType::kBatch, batch_payload(1 + i, 200), stream, FrameLimits{});
        streamed.insert(streamed.end(), f->header.begin(), f->header.end());
        streamed.insert(streamed.end(), f->body.begin(), f->body.end());
        if (i == 0) {
            streamed.insert(streamed.end(), hb.begin(), hb.end());
        }
    }
    write(root / "frame_decoder" / "batch_lz4_stream", streamed);
    // Protocol 6: the same stream with short headers and packed batches, a
    // TX_PART among the BATCH frames and a heartbeat (full header) between
    // them; then a large block, whose lengths take three-byte varints.
    Lz4StreamEncoder short_stream;
    BatchPacker packer;
    std::vector<uint8_t> shorts;
    auto add_short = [&](MessageType type, std::vector<uint8_t> payload) {
        if (type == MessageType::kBatch) {
            std::vector<uint8_t> packed;
            (void)packer.pack(payload, packed);
            payload = std::move(packed);
        }
        auto f = encode_frame(type, std::move(payload), short_stream, FrameLimits{}, {}, StreamFrameForm::kShort);
        shorts.insert(shorts.end(), f->header.begin(), f->header.begin() + f->header_size);
        shorts.insert(shorts.end(), f->body.begin(), f->body.end());
    };
    for (size_t i = 0; i < 3; ++i) {
        add_short(MessageType::kBatch, batch_payload(1 + i, 200));
        if (i == 0) {
            shorts.insert(shorts.end(), hb.begin(), hb.end());
            add_short(MessageType::kTxPart, encode_tx_part(last_part, part_data, 0x1234));
        }
    }
    write(root / "frame_decoder" / "batch_short_stream", shorts);
    add_short(MessageType::kBatch, batch_payload(200, 200));
    write(root / "frame_decoder" / "batch_short_stream_large", shorts);
    // Protocol 7: the same with compact headers (32-bit block checks).
    Lz4StreamEncoder compact_stream;
    BatchPacker compact_packer;
    std::vector<uint8_t> compacts;
    auto add_compact = [&](MessageType type, std::vector<uint8_t> payload) {
        if (type == MessageType::kBatch) {
            std::vector<uint8_t> packed;
            (void)compact_packer.pack(payload, packed);
            payload = std::move(packed);
        }
        auto f = encode_frame(type, std::move(payload), compact_stream, FrameLimits{}, {}, StreamFrameForm::kCompact);
        compacts.insert(compacts.end(), f->header.begin(), f->header.begin() + f->header_size);
        compacts.insert(compacts.end(), f->body.begin(), f->body.end());
    };
    for (size_t i = 0; i < 3; ++i) {
        add_compact(MessageType::kBatch, batch_payload(1 + i, 200));
        if (i == 0) {
            compacts.insert(compacts.end(), hb.begin(), hb.end());
            add_compact(MessageType::kTxPart, encode_tx_part(last_part, part_data, 0x1234));
        }
    }
    write(root / "frame_decoder" / "batch_compact_stream", compacts);
    add_compact(MessageType::kBatch, batch_payload(200, 200));
    write(root / "frame_decoder" / "batch_compact_stream_large", compacts);
    // Packed BATCH payloads as the session decoder's input (type 7): one
    // transaction, and three, each against a fresh state.
    for (size_t count : {size_t{1}, size_t{3}}) {
        BatchPacker fresh;
        std::vector<uint8_t> typed{static_cast<uint8_t>(MessageType::kBatch)};
        std::vector<uint8_t> packed;
        (void)fresh.pack(batch_payload(count, 120), packed);
        typed.insert(typed.end(), packed.begin(), packed.end());
        write(root / "session_decoder" / ("batch_packed_" + std::to_string(count)), typed);
    }
    return 0;
}
