// plugin/procedures/heal_fence.hpp: fence on heal. A replica promoted by a
// failover keeps its former upstream's link as the database option
// `formerUpstream` ({remote, addresses, epoch, promotedAtTx}). Until that
// cluster answers, the server hosting the promoted database's writer asks
// it, every interval, to fence its old database (FENCE_REQUEST with heal
// set): applications still pointed at the old region then get
// ForbiddenOnReadOnlyDatabase instead of writing into a history that has
// ended, and its status message says where the writer went and at which
// transaction. Once fenced (or already a replica, re-attached) the option
// is removed. promoteReplicaDatabase(name, {fenceOnHeal: false}) never
// sets it.
#pragma once

#include "replica/upstream_session.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ccdr::plugin {

inline constexpr const char* kFormerUpstreamOption = "formerUpstream";

struct FormerUpstream {
    std::string remote;
    std::vector<std::string> addresses;
    uint64_t epoch = 0;           // the promoted database's epoch
    uint64_t promoted_at_tx = 0;  // its last transaction of the old history
};

Value to_value(const FormerUpstream& f);
Result<FormerUpstream> parse_former_upstream(const Value& v);

class HealFence {
public:
    using OpenSession = std::function<Result<std::unique_ptr<UpstreamSession>>(const std::vector<std::string>&)>;
    // `standard()` names the standard databases with a member on this server.
    HealFence(HostHandle host, std::string cluster_id, std::chrono::milliseconds io_timeout, OpenSession open,
              std::function<std::vector<std::string>()> standard, std::chrono::milliseconds interval,
              std::shared_ptr<spdlog::logger> log);
    ~HealFence();  // stop()
    HealFence(const HealFence&) = delete;
    HealFence& operator=(const HealFence&) = delete;

    void start();
    void stop();
    // One round now (tests; the thread calls it every interval): asks the
    // former upstream of each promoted database whose writer is here.
    void run_once();

private:
    void run();
    void fence_former_upstream(const DatabaseInfo& info, const FormerUpstream& former);

    HostHandle host_;
    std::string cluster_id_;
    std::chrono::milliseconds io_timeout_;
    OpenSession open_;
    std::function<std::vector<std::string>()> standard_;
    std::chrono::milliseconds interval_;
    std::shared_ptr<spdlog::logger> log_;
    std::map<std::string, std::string> last_failure_;  // per database: logged once per distinct reason
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ccdr::plugin
