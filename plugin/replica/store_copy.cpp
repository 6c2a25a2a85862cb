#include "replica/store_copy.hpp"

#include "protocol/messages.hpp"
#include "runtime/blocking_task.hpp"
#include "session/exchange.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <variant>

namespace ccdr::plugin {

using protocol::MessageType;
using protocol::RefusalCode;
using runtime::run_blocking;

namespace {

std::string human_bytes(uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    if (u == 0) {
        std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(n));
    } else {
        std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
    }
    return buf;
}

// Waits for a chunk's write to the spool, then acknowledges it (at once: an
// upstream whose window is one chunk waits for it before sending the next)
// and hands the outcome to the receiving coroutine, which awaits it before
// the next write and before run() returns (so `spool` and `stats` outlive it).
asio::awaitable<void> acknowledge_when_written(std::shared_ptr<transport::Connection> connection,
                                               std::shared_ptr<runtime::BlockingTask<Status>> task,
                                               std::shared_ptr<StoreCopy::ChunkWrite> write,
                                               const StoreCopySpool* spool, ReplicaStats* stats, size_t wire_bytes,
                                               uint64_t snapshot_id) {
    Status outcome = co_await task->take();
    if (outcome) {
        stats->store_copy_bytes.fetch_add(wire_bytes, std::memory_order_relaxed);
        protocol::SnapshotAck ack{snapshot_id, spool->verified_bytes()};
        outcome = co_await session::send(*connection, ack);
    } else {
        // The reader may wait for a frame the upstream holds back for this
        // ACK: closing ends its wait, and it reports this outcome.
        connection->close("store copy: " + outcome.message());
    }
    write->outcome = std::move(outcome);
    write->done->notify();
}

// Longest wait for SNAPSHOT_BEGIN (the upstream's export). A dead upstream
// process resets the connection at once; this bounds a hung one.
constexpr std::chrono::milliseconds kExportWait = std::chrono::minutes(30);

}  // namespace

StoreCopy::StoreCopy(MemberContext& member)
    : member_(member), spool_(member.session.spool_directory(), member.database) {}

std::string StoreCopy::progress(const std::string& address) const {
    const uint64_t total = spool_.total_bytes();
    const uint64_t done = spool_.verified_bytes();
    const int percent = total == 0 ? 0 : static_cast<int>(done * 100 / total);
    return "store copy " + std::to_string(percent) + "% (" + human_bytes(done) + " of " + human_bytes(total) +
           ") from " + address;
}

asio::awaitable<PullResult> StoreCopy::run(std::shared_ptr<transport::Connection> connection, std::string address,
                                           MemberSetup setup) {
    auto& pool = member_.session.runtime->blocking_pool();
    const auto timeout = member_.session.settings.io_timeout;
    auto& log = member_.session.log;
    ReplicaStats& stats = member_.stats;
    const std::string& database = member_.database;
    StoreCopySpool* spool = &spool_;
    auto resume_job = [spool] { return spool->resume_point(); };
    auto resume = co_await run_blocking(pool, std::move(resume_job));
    member_.state.set(CCDR_REPLICA_STORE_COPY, progress(address));
    protocol::SnapshotRequest request{setup.config.remote, setup.store_id, setup.epoch, resume.snapshot_id,
                                      resume.offset, database};
    if (Status st = co_await session::send(*connection, request); !st) {
        co_return PullResult{PullOutcome::kRetry, st.message()};
    }
    // The upstream exports the snapshot before it answers: minutes for a
    // store of GiBs (5 GiB: 78-111 s on a loaded 2-core machine). Giving up
    // after ccdr.io.timeout made the replica ask again, and every request
    // started another export (docs/benchmarks.md, store copy).
    auto begin = co_await session::receive<protocol::SnapshotBegin>(*connection, std::max(timeout, kExportWait));
    if (!begin) {
        co_return PullResult{PullOutcome::kRetry, begin.status().message()};
    }
    if (begin->refused) {
        const bool fatal = begin->refused->code == RefusalCode::kLineageMismatch;
        co_return PullResult{fatal ? PullOutcome::kFatal : PullOutcome::kRetry,
                             address + " refused: " + begin->refused->reason};
    }
    const protocol::SnapshotBegin snapshot = *begin->message;
    auto begin_job = [spool, snapshot] { return spool->begin(snapshot); };
    Status began = co_await run_blocking(pool, std::move(begin_job));
    if (!began) {
        auto discard_job = [spool] {
            spool->discard();
            return 0;
        };
        co_await run_blocking(pool, std::move(discard_job));
        co_return PullResult{PullOutcome::kRetry, "store copy: " + began.message()};
    }
    if (snapshot.offset > 0) {
        log->info("replica '{}' resumes the store copy from {} at byte {} of {}", database, address, snapshot.offset,
                  snapshot.total_bytes);
    } else {
        log->info("replica '{}' starts a store copy from {}: snapshot at tx {}, {} bytes", database, address,
                  snapshot.tx_id, snapshot.total_bytes);
    }
    member_.state.set(CCDR_REPLICA_STORE_COPY, progress(address));
    std::optional<PullResult> cut = co_await receive_chunks(connection, address, snapshot.snapshot_id);
    if (writing_) {
        // The spool is this object's: no write may outlive run().
        (void)co_await settle_write();
    }
    if (cut) {
        co_return std::move(*cut);
    }
    log->info("replica '{}' received the snapshot at tx {} from {} ({} bytes, whole-file hash verified); importing",
              database, snapshot.tx_id, address, snapshot.total_bytes);
    protocol::SnapshotAck ack{snapshot.snapshot_id, snapshot.total_bytes};
    co_await session::send(*connection, ack);
    connection->close("store copy received");
    member_.state.set(CCDR_REPLICA_STORE_COPY, "store copy: importing the snapshot at tx " +
                                                    std::to_string(snapshot.tx_id) + " from " + address);
    HostHandle host = member_.session.host;
    const std::string db = database;
    auto import_job = [spool, host, db] { return spool->import(host, db); };
    Status imported = co_await run_blocking(pool, std::move(import_job));
    if (!imported) {
        log->error("replica '{}': {}", database, imported.message());
        co_return PullResult{PullOutcome::kRetry, imported.message()};
    }
    stats.store_copies.fetch_add(1);
    stats.last_applied_tx = snapshot.tx_id;
    stats.last_applied_commit_ms = snapshot.commit_time_ms;
    log->info("replica '{}' imported the snapshot of '{}' at tx {} from {}", database, setup.config.remote,
              snapshot.tx_id, address);
    member_.state.set(CCDR_REPLICA_CATCHING_UP, "store copy done at tx " + std::to_string(snapshot.tx_id) +
                                                    "; subscribing to " + address);
    co_return PullResult{PullOutcome::kStoreCopied, "store copy complete"};
}

asio::awaitable<Status> StoreCopy::settle_write() {
    while (!writing_->outcome) {
        co_await writing_->done->wait(std::chrono::minutes(1));
    }
    Status outcome = std::move(*writing_->outcome);
    writing_.reset();
    co_return outcome;
}

asio::awaitable<std::optional<PullResult>> StoreCopy::receive_chunks(std::shared_ptr<transport::Connection> connection,
                                                                     const std::string& address,
                                                                     uint64_t snapshot_id) {
    auto& pool = member_.session.runtime->blocking_pool();
    const auto timeout = member_.session.settings.io_timeout;
    ReplicaStats& stats = member_.stats;
    StoreCopySpool* spool = &spool_;
    const runtime::Strand strand = co_await asio::this_coro::executor;
    auto write_failed = [&](const Status& st) {
        if (st.code() == CCDR_CORRUPT) {
            stats.checksum_failures.fetch_add(1);
        }
        return PullResult{PullOutcome::kRetry, "store copy from " + address + ": " + st.message()};
    };
    for (;;) {
        auto frame = co_await connection->read_frame(timeout);
        if (!frame && writing_) {
            // A failed write closes the connection: its error is the cause.
            if (Status st = co_await settle_write(); !st) {
                co_return write_failed(st);
            }
        }
        if (!frame) {
            if (frame.status().code() == CCDR_CORRUPT) {
                stats.checksum_failures.fetch_add(1);
            }
            co_return PullResult{PullOutcome::kRetry,
                                 "store copy from " + address + " interrupted: " + frame.status().message()};
        }
        stats.bytes_wire.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
        stats.bytes_uncompressed.fetch_add(frame->header.header_size + frame->payload.size(),
                                           std::memory_order_relaxed);
        const MessageType type = frame->header.type;
        if (type == MessageType::kRefused) {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            co_return PullResult{PullOutcome::kRetry, address + " ended the store copy: " +
                                                          (refused ? refused->reason : "malformed REFUSED")};
        }
        if (type != MessageType::kSnapshotChunk && type != MessageType::kSnapshotEnd) {
            co_return PullResult{PullOutcome::kRetry, address + ": protocol error during a store copy: " +
                                                          std::string(protocol::message_type_name(type))};
        }
        auto message = protocol::decode_message(type, frame->payload);
        if (!message) {
            co_return PullResult{PullOutcome::kRetry, message.status().message()};
        }
        // The chunk before this one is written and acknowledged by now, most
        // of the time (one write to the spool at a time, in order).
        if (writing_) {
            if (Status st = co_await settle_write(); !st) {
                co_return write_failed(st);
            }
            member_.state.set(CCDR_REPLICA_STORE_COPY, progress(address));
        }
        if (const auto* chunk = std::get_if<protocol::SnapshotChunk>(&*message)) {
            // Verified and appended on the pool while this strand reads the
            // next frame (the chunk's data views into the payload, which the
            // job keeps).
            auto job = [spool, c = *chunk, payload = std::move(frame->payload)] { return spool->write(c); };
            auto task = runtime::BlockingTask<Status>::start(pool, strand, std::move(job));
            writing_ = std::make_shared<ChunkWrite>(strand);
            auto acknowledge = [connection, task, write = writing_, spool, stats = &stats,
                                wire_bytes = frame->wire_bytes, snapshot_id]() {
                return acknowledge_when_written(connection, task, write, spool, stats, wire_bytes, snapshot_id);
            };
            asio::co_spawn(strand, std::move(acknowledge), asio::detached);
            continue;
        }
        // The end checks the whole file.
        protocol::SnapshotEnd e = std::get<protocol::SnapshotEnd>(*message);
        auto finish_job = [spool, e] { return spool->finish(e); };
        Status finished = co_await run_blocking(pool, std::move(finish_job));
        if (!finished) {
            stats.checksum_failures.fetch_add(1);
            co_return PullResult{PullOutcome::kRetry, "store copy from " + address + ": " + finished.message()};
        }
        co_return std::nullopt;
    }
}

}  // namespace ccdr::plugin
