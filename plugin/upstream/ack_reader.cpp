#include "upstream/ack_reader.hpp"

#include "protocol/messages.hpp"

#include <algorithm>

namespace ccdr::plugin {

void SubscriptionWindow::on_sent(uint64_t last_tx, size_t wire_bytes, std::chrono::steady_clock::time_point sent_at,
                                 bool large, int64_t first_commit_ms) {
    if (inflight.empty()) {
        link->oldest_unacked_commit_ms = first_commit_ms;
    }
    inflight.push_back({last_tx, wire_bytes, sent_at, first_commit_ms});
    link->bytes_sent.fetch_add(wire_bytes, std::memory_order_relaxed);
    pacer.on_sent(sent_at, large);
    unacked_bytes += wire_bytes;
    sent_last_tx = last_tx;
    link->sent_tx = last_tx;
}

std::optional<std::string> SubscriptionWindow::on_ack(uint64_t last_applied_tx,
                                                      std::chrono::steady_clock::time_point now,
                                                      std::optional<uint64_t> hold_tx) {
    if (last_applied_tx > sent_last_tx) {
        return "protocol error: ACK of tx " + std::to_string(last_applied_tx) + " beyond the last sent tx " +
               std::to_string(sent_last_tx);
    }
    while (!inflight.empty() && inflight.front().last_tx <= last_applied_tx) {
        unacked_bytes -= inflight.front().wire_bytes;
        if (inflight.size() == 1 || inflight[1].last_tx > last_applied_tx) {
            pacer.on_ack(inflight.front().sent_at, now);  // the newest batch it covers
            link->round_trip_us = static_cast<uint64_t>(pacer.min_rtt().count());
        }
        inflight.pop_front();
    }
    link->oldest_unacked_commit_ms = inflight.empty() ? 0 : inflight.front().first_commit_ms;
    if (last_applied_tx > link->acked_tx.load()) {
        link->acked_tx = last_applied_tx;
    }
    // Each ACK says it anew: a puller whose followers caught up sends none.
    link->hold_tx = hold_tx ? *hold_tx : ReplicaLink::kHoldAtAck;
    return std::nullopt;
}

asio::awaitable<Status> send_batch(transport::Connection& connection, SubscriptionWindow& window,
                                   const protocol::EncodedFrame& frame, uint64_t last_tx, bool large,
                                   int64_t first_commit_ms) {
    window.on_sent(last_tx, frame.wire_size(), std::chrono::steady_clock::now(), large, first_commit_ms);
    co_return co_await connection.write_frame(frame);
}

asio::awaitable<void> read_acks(std::shared_ptr<transport::Connection> connection,
                                std::shared_ptr<SubscriptionWindow> window,
                                std::shared_ptr<runtime::AsyncSignal> signal, std::chrono::milliseconds io_timeout) {
    for (;;) {
        auto frame = co_await connection->read_frame(io_timeout);
        if (!frame) {
            break;
        }
        if (frame->header.type != protocol::MessageType::kAck) {
            connection->close("protocol error: " + std::string(protocol::message_type_name(frame->header.type)) +
                              " during a subscription (expected ACK)");
            break;
        }
        auto ack = protocol::decode_message_as<protocol::Ack>(frame->payload);
        if (!ack) {
            connection->close(ack.status().message());
            break;
        }
        if (auto error = window->on_ack(ack->last_applied_tx, std::chrono::steady_clock::now(), ack->hold_tx)) {
            connection->close(*error);
            break;
        }
        if (window->sender_waits_for_window) {
            window->sender_waits_for_window = false;
            signal->notify();
        }
    }
    window->reader_done = true;
    connection->close("the replica's side of the subscription ended");
}

asio::awaitable<void> read_snapshot_acks(std::shared_ptr<transport::Connection> connection,
                                         std::shared_ptr<SnapshotWindow> window,
                                         std::shared_ptr<runtime::AsyncSignal> signal,
                                         std::chrono::milliseconds io_timeout) {
    for (;;) {
        auto frame = co_await connection->read_frame(io_timeout);
        if (!frame) {
            break;
        }
        auto ack = frame->header.type == protocol::MessageType::kSnapshotAck
                       ? protocol::decode_message_as<protocol::SnapshotAck>(frame->payload)
                       : Result<protocol::SnapshotAck>(Status(CCDR_CORRUPT, "expected SNAPSHOT_ACK"));
        if (!ack || ack->verified_offset > window->sent_offset) {
            connection->close("protocol error during a store copy");
            break;
        }
        window->acked_offset = std::max(window->acked_offset, ack->verified_offset);
        signal->notify();
    }
    window->reader_done = true;
    // As for a subscription: the copy is over once the replica's side is. A
    // read error leaves the socket looking open, and a sender waiting for
    // the window to open would wait for ever (seen after a SIGKILL of the
    // replica's server with the 16 MiB window full).
    connection->close("the replica's side of the store copy ended");
    signal->notify();
}

}  // namespace ccdr::plugin
