// plugin/upstream/ack_reader.hpp: what the replica says back while the
// upstream streams to it, read by a coroutine of its own beside the sender
// (both on the connection's strand, sharing a window).
//
// During a subscription the replica sends ACK(last applied tx). Each ACK
// frees the window of the batches it covers, gives the pacer a round-trip
// sample (from the newest batch it covers: sent to applied), records the
// replica's position for the metrics and the log holds (with the position a
// fan-out puller asks its hold to start from, protocol 8's hold_tx), and
// wakes the sender if it waits for the window. An ACK beyond
// the last batch sent, or any other frame, is a protocol error: the reader
// closes the connection, which ends the stream.
//
// During a store copy it sends SNAPSHOT_ACK(verified offset), which moves
// the copy's window the same way.
#pragma once

#include "runtime/async_signal.hpp"
#include "transport/connection.hpp"
#include "upstream/batch_pacer.hpp"
#include "upstream/upstream_stats.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace ccdr::plugin {

namespace asio = boost::asio;

// A subscription's batches in flight.
struct SubscriptionWindow {
    struct Inflight {
        uint64_t last_tx;
        size_t wire_bytes;
        std::chrono::steady_clock::time_point sent_at;
        int64_t first_commit_ms;  // commit time of the batch's first tx (0: unknown)
    };
    std::deque<Inflight> inflight;
    BatchPacer pacer;
    size_t unacked_bytes = 0;
    uint64_t sent_last_tx = 0;
    bool reader_done = false;
    // The sender has a batch to send and waits for the window: the next ACK
    // wakes it. Otherwise an ACK wakes nobody (a wake-up per ACK per stream
    // was a context switch per commit per stream on the upstream).
    bool sender_waits_for_window = false;
    std::shared_ptr<ReplicaLink> link;  // the replica in the stats, while the stream lasts
    UpstreamStats* stats = nullptr;

    SubscriptionWindow() = default;
    SubscriptionWindow(const SubscriptionWindow&) = delete;
    SubscriptionWindow& operator=(const SubscriptionWindow&) = delete;
    ~SubscriptionWindow() {
        if (link) {
            stats->disconnect(link);
        }
    }

    // A batch ending at `last_tx`, `wire_bytes` long, went out at `sent_at`;
    // `large`: it was a backlog's (the next goes at once); `first_commit_ms`:
    // the commit time of its first tx (for the lag in seconds).
    void on_sent(uint64_t last_tx, size_t wire_bytes, std::chrono::steady_clock::time_point sent_at, bool large,
                 int64_t first_commit_ms = 0);
    // The replica applied everything up to `last_applied_tx` (an ACK read at
    // `now`). Nothing, or the protocol error when it acknowledges more than
    // was sent (the window is then unchanged).
    // A TX_PART that does not end its transaction went out: counted as sent
    // bytes, outside the window (UpstreamService::send_parts says why).
    void on_part_sent(size_t wire_bytes) { link->bytes_sent.fetch_add(wire_bytes, std::memory_order_relaxed); }
    // `hold_tx`: the ACK's (protocol 8), where the member's hold should
    // start; none: at last_applied_tx.
    std::optional<std::string> on_ack(uint64_t last_applied_tx, std::chrono::steady_clock::time_point now,
                                      std::optional<uint64_t> hold_tx = std::nullopt);
};

// A store copy's chunks in flight.
struct SnapshotWindow {
    uint64_t acked_offset = 0;  // bytes the replica verified
    uint64_t sent_offset = 0;
    bool reader_done = false;
};

// Sends one batch of a subscription (its frame `frame`, ending at `last_tx`;
// `large` and `first_commit_ms` as on_sent says): records it in the window,
// then writes it. In that order because the replica can apply the batch and
// ACK it before this strand resumes after the write: once the bytes are in
// the kernel, the write's completion and the ACK's read are two handlers
// queued on the strand by whichever I/O threads ran them, in either order.
// Recorded after the write, such an ACK was "beyond the last sent tx" and
// ended the stream (seen with 120 subscriptions on one server,
// many_subscriptions_test.cpp). The batch's time is taken before the write,
// so a round-trip sample also counts the write (the pacer keeps the minimum).
// A failed write ends the stream, so the window's record of it does not matter.
asio::awaitable<Status> send_batch(transport::Connection& connection, SubscriptionWindow& window,
                                   const protocol::EncodedFrame& frame, uint64_t last_tx, bool large,
                                   int64_t first_commit_ms);

// Reads ACKs until the connection ends, then closes it (the subscription is
// over once the replica's side is) and sets window->reader_done.
asio::awaitable<void> read_acks(std::shared_ptr<transport::Connection> connection,
                                std::shared_ptr<SubscriptionWindow> window,
                                std::shared_ptr<runtime::AsyncSignal> signal, std::chrono::milliseconds io_timeout);

// Reads SNAPSHOT_ACKs until the connection ends, then closes it; sets
// window->reader_done and wakes the sender a last time.
asio::awaitable<void> read_snapshot_acks(std::shared_ptr<transport::Connection> connection,
                                         std::shared_ptr<SnapshotWindow> window,
                                         std::shared_ptr<runtime::AsyncSignal> signal,
                                         std::chrono::milliseconds io_timeout);

}  // namespace ccdr::plugin
