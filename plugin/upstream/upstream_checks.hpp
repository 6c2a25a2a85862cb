// plugin/upstream/upstream_checks.hpp: what the upstream decides before it
// serves a replica anything, from the host's records and the settings alone:
// whether a database may be replicated from here (never system; else
// ccdr.upstream.allowed_databases), what DATABASE_INFO tells a replica of
// it, whether a SUBSCRIBE, SNAPSHOT_REQUEST or FINGERPRINT_REQUEST is for
// the database's current lineage (name, online, store id and epoch), where a
// subscription may start, and the fingerprint a FINGERPRINT_REQUEST gets.
//
// describe() and fingerprint() call the host and block (storage): the
// service runs them on the blocking pool. The rest is pure.
#pragma once

#include "protocol/messages.hpp"

#include <ccdr/host_handle.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::plugin {

// A request the upstream refuses: the REFUSED it sends, code and reason.
struct Refusal {
    protocol::RefusalCode code;
    std::string reason;
};

// Where a subscription that passed the lineage check may start.
struct SubscribeStart {
    enum class Kind {
        kSubscribe,  // the log holds from_tx (or from_tx is the next commit)
        kLogPruned,  // the log starts after from_tx: the replica needs a store copy
        kRefused,    // the replica has transactions this upstream does not
    };
    Kind kind = Kind::kSubscribe;
    std::optional<Refusal> refusal;  // kRefused
};

// FINGERPRINT_REQUEST: the reply, or why not.
struct FingerprintAnswer {
    protocol::FingerprintReply reply;
    std::optional<Refusal> refusal;
};

class UpstreamChecks {
public:
    // `replica_gate` (may be empty): for a replica database of this
    // cluster, "" when this server's member may serve it (fan-out: it is
    // the puller), else the refusal DATABASE_INFO says and SUBSCRIBE gets.
    UpstreamChecks(HostHandle host, std::string server_id, std::vector<std::string> allowed_databases,
                   std::function<std::string(const std::string&)> replica_gate = {});

    // "" when `name` may be replicated from here, else why not.
    std::string refusal_for(const std::string& name) const;
    // What this server tells a replica about `name` (blocks: host calls).
    // Store id, epoch and log bounds only when it may be replicated.
    protocol::DatabaseInfoReply describe(const std::string& name) const;
    // Nothing when a request for (store id, epoch) may proceed on `info`
    // (describe()'s answer), else the refusal: not allowed, not found, not
    // online, or another lineage.
    std::optional<Refusal> check_lineage(const protocol::DatabaseInfoReply& info, const std::string& store_id,
                                         uint64_t epoch) const;
    // Where a subscription from `from_tx` stands against `info`'s log.
    SubscribeStart subscribe_start(const protocol::DatabaseInfoReply& info, uint64_t from_tx) const;
    // The reply to a FINGERPRINT_REQUEST (blocks: reads the whole store).
    FingerprintAnswer fingerprint(const protocol::FingerprintRequest& request) const;
    // The reply to a RUNNING_FINGERPRINT_REQUEST: this server's member's
    // running fingerprint as of request.tx_id (blocks briefly: one indexed
    // read of the host, ABI 1.2 running_fingerprint).
    FingerprintAnswer running_fingerprint(const protocol::RunningFingerprintRequest& request) const;

    const std::string& server_id() const { return server_id_; }

private:
    HostHandle host_;
    std::string server_id_;
    std::vector<std::string> allowed_databases_;  // "*" = every database but system
    std::function<std::string(const std::string&)> replica_gate_;
};

}  // namespace ccdr::plugin
