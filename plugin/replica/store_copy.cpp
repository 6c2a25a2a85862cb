#include "replica/store_copy.hpp"

#include "protocol/messages.hpp"
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
    for (;;) {
        auto frame = co_await connection->read_frame(timeout);
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
        // A chunk is verified and appended; the end checks the whole file.
        const auto* chunk = std::get_if<protocol::SnapshotChunk>(&*message);
        Status spooled;
        if (chunk != nullptr) {
            protocol::SnapshotChunk c = *chunk;
            auto write_job = [spool, c] { return spool->write(c); };
            spooled = co_await run_blocking(pool, std::move(write_job));
        } else {
            protocol::SnapshotEnd e = std::get<protocol::SnapshotEnd>(*message);
            auto finish_job = [spool, e] { return spool->finish(e); };
            spooled = co_await run_blocking(pool, std::move(finish_job));
        }
        if (!spooled) {
            if (chunk == nullptr || spooled.code() == CCDR_CORRUPT) {
                stats.checksum_failures.fetch_add(1);
            }
            co_return PullResult{PullOutcome::kRetry, "store copy from " + address + ": " + spooled.message()};
        }
        if (chunk != nullptr) {
            stats.store_copy_bytes.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
            member_.state.set(CCDR_REPLICA_STORE_COPY, progress(address));
            protocol::SnapshotAck ack{snapshot.snapshot_id, spool_.verified_bytes()};
            if (Status st = co_await session::send(*connection, ack); !st) {
                co_return PullResult{PullOutcome::kRetry, st.message()};
            }
            continue;
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
}

}  // namespace ccdr::plugin
