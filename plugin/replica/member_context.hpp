// plugin/replica/member_context.hpp: what the parts of one replica member
// share: the member's state machine (replica_member), its puller (connect,
// subscribe, receive, ACK), its store copy and, through callbacks, its
// applier. The member owns it through a shared_ptr, and so does every
// coroutine that may outlive a session (the ACK sender), so none of them
// reaches a member that is gone.
#pragma once

#include "replica/applier.hpp"
#include "replica/member_state.hpp"
#include "replica/replica_stats.hpp"
#include "runtime/async_signal.hpp"
#include "session/session_context.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace ccdr::plugin {

struct MemberContext {
    // `session.runtime` must be running.
    MemberContext(const session::SessionContext& session, std::string database)
        : session(session),
          database(std::move(database)),
          strand(session.runtime->make_strand()),
          stop_signal(std::make_shared<runtime::AsyncSignal>(strand)),
          space_signal(std::make_shared<runtime::AsyncSignal>(strand)),
          ack_signal(std::make_shared<runtime::AsyncSignal>(strand)) {}
    MemberContext(const MemberContext&) = delete;
    MemberContext& operator=(const MemberContext&) = delete;

    const session::SessionContext& session;  // host, settings, log, runtime
    const std::string database;
    runtime::Strand strand;  // every coroutine of the member runs on it
    std::atomic<bool> stopping{false};
    ReplicaStats stats;
    MemberState state;
    PullConnection connection;
    std::shared_ptr<runtime::AsyncSignal> stop_signal;   // wakes back-off waits
    std::shared_ptr<runtime::AsyncSignal> space_signal;  // applier -> puller: room in the queue, applier idle
    std::shared_ptr<runtime::AsyncSignal> ack_signal;    // applier, heartbeats -> the ACK sender
    bool ack_wanted = false;                             // strand: a heartbeat asks for an ACK
    // What the member is to fan-out now (FanoutRole of pull_sources.hpp),
    // and from which server and address it pulls ("" when not connected):
    // read by SHOW DATABASE, the metrics and the serving gate.
    std::atomic<int> fanout_role{0};
};

// The applier's events as a member wires them: a batch taken makes room for
// the puller; a failed one closes the connection (the member resumes from
// the host's last applied tx); a finished one wakes the ACK sender and the
// puller (room, idle). `member` must outlive the applier.
inline ApplierEvents applier_events(MemberContext& member) {
    MemberContext* m = &member;
    ApplierEvents events;
    events.took = [m] { m->space_signal->notify(); };
    events.failed = [m](const std::string& reason) { m->connection.post_close(reason); };
    events.finished = [m] {
        if (m->stats.at_upstream_position()) {
            m->state.note_caught_up();
        }
        m->ack_signal->notify();
        m->space_signal->notify();
    };
    return events;
}

}  // namespace ccdr::plugin
