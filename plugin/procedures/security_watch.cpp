#include "procedures/security_watch.hpp"

namespace ccdr::plugin {

SecurityWatch::SecurityWatch(SecurityCheck& check, std::function<std::vector<std::string>()> replicas,
                             std::chrono::milliseconds interval)
    : check_(check), replicas_(std::move(replicas)), interval_(interval) {}

SecurityWatch::~SecurityWatch() { stop(); }

void SecurityWatch::start() {
    if (interval_.count() <= 0 || thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void SecurityWatch::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void SecurityWatch::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        // The first check waits one interval too: replicas start streaming first.
        if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
            return;
        }
        lock.unlock();
        auto names = replicas_();
        check_.retain_only(names);
        for (const auto& name : names) {
            {
                std::lock_guard still(mu_);
                if (stopping_) {
                    return;
                }
            }
            // The outcome (and any failure) is recorded and logged by compare().
            (void)check_.compare(name);
        }
        lock.lock();
    }
}

}  // namespace ccdr::plugin
