// plugin/replica/store_copy.hpp: a replica member's store copy, on the
// connection where the upstream answered SUBSCRIBE with LOG_PRUNED:
// SNAPSHOT_REQUEST (resuming what the spool already holds), SNAPSHOT_BEGIN,
// every SNAPSHOT_CHUNK verified into the spool (store_copy_spool.hpp) and
// acknowledged, SNAPSHOT_END checked against the whole file, then the host's
// snapshot_import. Its progress is the member's status message ("store copy
// 41% (1.2 GiB of 2.9 GiB) from host:port").
//
// run() runs on the member's strand; its file work goes to the blocking
// pool, which the awaiting run() outlives. A chunk is written to the spool
// and acknowledged while the next frame is read (one write at a time).
#pragma once

#include "replica/member_context.hpp"
#include "replica/member_setup.hpp"
#include "replica/pull_result.hpp"
#include "replica/store_copy_spool.hpp"
#include "runtime/async_signal.hpp"
#include "transport/connection.hpp"

#include <memory>
#include <optional>
#include <string>

namespace ccdr::plugin {

namespace asio = boost::asio;

class StoreCopy {
public:
    explicit StoreCopy(MemberContext& member);
    StoreCopy(const StoreCopy&) = delete;
    StoreCopy& operator=(const StoreCopy&) = delete;

    // kStoreCopied once the snapshot is imported (the member's last applied
    // tx is then the snapshot's), kFatal when the upstream refuses the
    // lineage, kRetry for anything else (what was verified stays spooled).
    asio::awaitable<PullResult> run(std::shared_ptr<transport::Connection> connection, std::string address,
                                    MemberSetup setup);
    // Removes the spool (the database was dropped). Never while run() runs.
    void discard() { spool_.discard(); }

    // One chunk being written to the spool on the blocking pool, then
    // acknowledged, while run() reads the next frame.
    struct ChunkWrite {
        explicit ChunkWrite(runtime::Strand strand) : done(std::make_shared<runtime::AsyncSignal>(strand)) {}
        std::optional<Status> outcome;  // set once written and acknowledged, or failed
        std::shared_ptr<runtime::AsyncSignal> done;
    };

private:
    std::string progress(const std::string& address) const;
    // Receives chunks until SNAPSHOT_END and checks the whole file: nullopt,
    // or the result run() returns when the copy stops before. A write may be
    // left under way (writing_).
    asio::awaitable<std::optional<PullResult>> receive_chunks(std::shared_ptr<transport::Connection> connection,
                                                              const std::string& address, uint64_t snapshot_id);
    // Waits for writing_ to be written and acknowledged; its outcome.
    asio::awaitable<Status> settle_write();

    MemberContext& member_;
    StoreCopySpool spool_;
    std::shared_ptr<ChunkWrite> writing_;
};

}  // namespace ccdr::plugin
