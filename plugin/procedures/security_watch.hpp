// plugin/procedures/security_watch.hpp: the periodic drift check. Every
// ccdr.security.compare_interval (0: never) it compares, for each replica
// database with a member on this server, this cluster's users and roles with
// the upstream cluster's (SecurityCheck::compare), which keeps the metric
// database.<db>.ccdr.security.differences current for the CcdrSecurityDrift
// alert. It runs on its own thread: a comparison blocks on the network.
#pragma once

#include "procedures/security_procedure.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ccdr::plugin {

class SecurityWatch {
public:
    // `replicas()` names the replica databases with a member on this server.
    SecurityWatch(SecurityCheck& check, std::function<std::vector<std::string>()> replicas,
                  std::chrono::milliseconds interval);
    ~SecurityWatch();  // stop()
    SecurityWatch(const SecurityWatch&) = delete;
    SecurityWatch& operator=(const SecurityWatch&) = delete;

    // Starts the thread (nothing when the interval is 0).
    void start();
    // Wakes the thread and joins it; a comparison under way finishes first
    // (it is bounded by ccdr.connect.timeout and ccdr.io.timeout).
    void stop();

private:
    void run();

    SecurityCheck& check_;
    std::function<std::vector<std::string>()> replicas_;
    std::chrono::milliseconds interval_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ccdr::plugin
