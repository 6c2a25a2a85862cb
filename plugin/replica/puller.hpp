// plugin/replica/puller.hpp: one attempt of a replica member with one
// upstream address, and the stream that follows it:
//
//   connect and HELLO (UpstreamDialer: another major plugin version is
//   fatal, another minor one is named in the status message), DATABASE_INFO:
//   the remote must be online and of the replica's lineage (another lineage
//   is fatal);
//   then, once the applier is idle, SUBSCRIBE from what the host has durably
//   applied + 1, and either
//   SUBSCRIBED  -> follow the stream: every frame verified, every batch
//                  checked against the hash chain and queued for the applier
//                  (waiting while the queue is full), heartbeats noted; a
//                  coroutine beside it ACKs what is applied, at once and
//                  whenever a heartbeat asks;
//   LOG_PRUNED  -> a store copy (store_copy.hpp) on the same connection;
//   REFUSED     -> retry, or fatal for another lineage or a replica ahead of
//                  its upstream.
//
// Exactly once: a session always starts from the host's own record of the
// last applied tx, after the applier has finished its batch and the batches
// queued by the previous session were dropped, or, with an applyDelay, after
// the last transaction of the delay spool (delay_spool.hpp), which holds
// what was received and synced: the delayed applier (delayed_applier.hpp)
// applies from there, and the ACKs report the received position. Runs on
// the member's strand.
#pragma once

#include "protocol/messages.hpp"
#include "replica/applier.hpp"
#include "replica/delay_spool.hpp"
#include "replica/delayed_applier.hpp"
#include "replica/follower_hold_release.hpp"
#include "replica/member_context.hpp"
#include "replica/member_setup.hpp"
#include "replica/pull_result.hpp"
#include "replica/pull_sources.hpp"
#include "replica/store_copy.hpp"
#include "replica/upstream_dialer.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace ccdr::plugin {

class Puller {
public:
    // `member` is shared with the ACK sender, which may outlive a session.
    Puller(std::shared_ptr<MemberContext> member, const UpstreamDialer& dialer, Applier& applier,
           DelaySpool& delay_spool, DelayedApplier& delayed, StoreCopy& store_copy);
    Puller(const Puller&) = delete;
    Puller& operator=(const Puller&) = delete;

    // One session with `source` (an upstream address, or with fan-out the
    // puller member of this replica database: pull_sources.hpp). `better`
    // are the sources tried before it: while they do not serve, this one
    // is used; once one of them would, the session ends so that the member
    // moves back to it.
    asio::awaitable<PullResult> attempt(PullSource source, MemberSetup setup, std::vector<PullSource> better = {});
    // Reads the host's last applied tx and the delay spool (once; later
    // calls drop what is applied) and sets the delay: at each round of the
    // member, so that a member whose upstream is gone still applies and
    // shows what it received.
    asio::awaitable<Status> open_spool(const MemberSetup& setup);
    // Drops the queued batches and waits until the applier is idle.
    asio::awaitable<void> drain();
    // Waits until the applier's queue has room for `bytes`; false when the
    // connection closed or the member stops first (TCP pushes back meanwhile).
    asio::awaitable<bool> room_for(transport::Connection& connection, size_t bytes);

private:
    // HELLO and DATABASE_INFO: nothing when `remote` is there, online and of
    // this replica's lineage, else how the attempt ends.
    asio::awaitable<std::optional<PullResult>> check_remote(transport::Connection& connection,
                                                            const std::string& address, const MemberSetup& setup);
    asio::awaitable<PullResult> follow(std::shared_ptr<transport::Connection> connection, PullSource source,
                                       protocol::Subscribed subscribed, MemberSetup setup,
                                       std::vector<PullSource> better);
    // The first of `better` that would serve this member now (connects,
    // HELLO, probe()), or nothing; `behind` says whether one of them would
    // serve but did not reach `position` (the last tx this member received).
    asio::awaitable<std::optional<PullSource>> better_source(const std::vector<PullSource>& better,
                                                             const MemberSetup& setup, uint64_t position,
                                                             bool& behind);
    // What `candidate`, on a connection past HELLO, is to this member: it
    // serves (there, online, this lineage, served, at `position` or past
    // it), is behind (would serve, but has not reached `position` within a
    // short wait while this member stands still), or is unusable.
    enum class Probe { kServes, kBehind, kUnusable };
    // How long probe() waits, at most, for a candidate that is behind: one
    // heartbeat interval, at most 250 ms.
    std::chrono::milliseconds probe_wait() const;
    asio::awaitable<Probe> probe(transport::Connection& connection, const PullSource& candidate,
                                 const MemberSetup& setup, uint64_t position);
    // Nothing while `address` is still one of the replica's upstream
    // addresses (the database option, which alterReplicaDatabase may change
    // on any server of this cluster), else why the session should end so
    // that the member reconnects through the new ones.
    // With fan-out, a member source stays while it is a member and fan-out
    // is on; an upstream source ends when fan-out was turned on or off.
    // `better` is set to the sources before `source` in the fan-out order of
    // the members the host sees now (a member that came online since the
    // session started, or was added, is probed from then on).
    asio::awaitable<std::optional<std::string>> address_dropped(const PullSource& source,
                                                                std::vector<PullSource>& better);

    std::shared_ptr<MemberContext> member_;
    const UpstreamDialer& dialer_;
    Applier& applier_;
    DelaySpool& delay_spool_;
    DelayedApplier& delayed_;
    StoreCopy& store_copy_;
    // strand: this session writes batches to the delay spool (an applyDelay
    // is set, or the spool still holds transactions) instead of handing
    // them to the applier.
    bool spooling_ = false;
    bool caught_up_ = false;  // strand: this session reached the upstream's head once
    uint16_t session_version_ = 0;  // strand: the protocol HELLO_OK chose on this session
    // strand: the upstream database and addresses of the link (a session
    // with a member names the member's database instead), for the release.
    std::string upstream_remote_;
    std::vector<std::string> upstream_addresses_;
    FollowerHoldRelease follower_release_;
    std::string version_note_;  // strand: "" or " (upstream plugin X, this Y)" for the status message
};

}  // namespace ccdr::plugin
