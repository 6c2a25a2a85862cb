// plugin/replica/store_copy.hpp: a replica member's store copy, on the
// connection where the upstream answered SUBSCRIBE with LOG_PRUNED:
// SNAPSHOT_REQUEST (resuming what the spool already holds), SNAPSHOT_BEGIN,
// every SNAPSHOT_CHUNK verified into the spool (store_copy_spool.hpp) and
// acknowledged, SNAPSHOT_END checked against the whole file, then the host's
// snapshot_import. Its progress is the member's status message ("store copy
// 41% (1.2 GiB of 2.9 GiB) from host:port").
//
// run() runs on the member's strand; its file work goes to the blocking
// pool, which the awaiting run() outlives.
#pragma once

#include "replica/member_context.hpp"
#include "replica/member_setup.hpp"
#include "replica/pull_result.hpp"
#include "replica/store_copy_spool.hpp"
#include "transport/connection.hpp"

#include <memory>
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

private:
    std::string progress(const std::string& address) const;

    MemberContext& member_;
    StoreCopySpool spool_;
};

}  // namespace ccdr::plugin
