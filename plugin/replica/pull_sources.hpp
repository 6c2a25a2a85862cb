// plugin/replica/pull_sources.hpp: where a replica member pulls from, in the
// order it tries them (fan-out inside the replica cluster, replicaConfig
// fanOut, on by default).
//
// The rule, the same on every member so that they agree without talking:
// the members of the replica database are ordered by server id; a member
// tries first the members before it that its host sees ONLINE, then the
// upstream addresses, then the members after it. A member serves its
// replica database to the others only while it pulls from the upstream
// itself (it is the puller; ReplicaMember::serving_refusal), so the first
// member that is up and reaches the upstream pulls, and everyone else
// follows it: one level, never a cycle. A member that is not on its first
// usable source checks the ones before it every heartbeat interval and
// moves back to the first that would serve it and has every transaction it
// received; while it asks, it reads nothing, so one that keeps up with the
// upstream passes it (Puller::probe): the hand-back is no race between two
// members that both move at the upstream's pace.
//
// With fanOut false, or a database of one member, the list is the upstream
// addresses alone, as before fan-out.
#pragma once

#include "replica/member_setup.hpp"

#include <string>
#include <vector>

namespace ccdr::plugin {

// What a member is to fan-out, as SHOW DATABASE and the metric
// database.<db>.ccdr.replica.fanout_role say it.
enum class FanoutRole : int {
    kNone = 0,      // not connected
    kPuller = 1,    // pulls from the upstream, and serves the other members
    kFollower = 2,  // follows the puller inside the replica cluster
    kDirect = 3,    // pulls from the upstream, fan-out is off (or it is the only member)
};

struct PullSource {
    std::string address;    // host:port (an upstream's, or a member's cluster address)
    std::string server_id;  // the member's server; "" for an upstream address
    bool peer = false;      // a member of this replica database

    // "upstream 10.0.0.1:7000" or "puller server-2 at 127.0.0.1:7102".
    std::string describe() const {
        return peer ? "puller " + server_id + " at " + address : "upstream " + address;
    }
};

// The sources in the order the member tries them. `setup.members` as the
// host sees them, the local one marked is_local.
std::vector<PullSource> order_pull_sources(const MemberSetup& setup);

// Whether `setup` asks for fan-out and has another member to share with.
bool fan_out_applies(const MemberSetup& setup);

}  // namespace ccdr::plugin
