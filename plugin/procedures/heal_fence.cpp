#include "procedures/heal_fence.hpp"

namespace ccdr::plugin {

Value to_value(const FormerUpstream& f) {
    ValueList addresses;
    for (const auto& a : f.addresses) {
        addresses.emplace_back(a);
    }
    return Value(ValueMap{{"remote", Value(f.remote)},
                          {"addresses", Value(std::move(addresses))},
                          {"epoch", Value(static_cast<int64_t>(f.epoch))},
                          {"promotedAtTx", Value(static_cast<int64_t>(f.promoted_at_tx))}});
}

Result<FormerUpstream> parse_former_upstream(const Value& v) {
    const Value* remote = v.find("remote");
    const Value* addresses = v.find("addresses");
    const Value* epoch = v.find("epoch");
    const Value* at = v.find("promotedAtTx");
    if (remote == nullptr || !remote->is_string() || addresses == nullptr || !addresses->is_list() ||
        epoch == nullptr || !epoch->is_int() || at == nullptr || !at->is_int()) {
        return Status(CCDR_INVALID_ARGUMENT, "formerUpstream must be {remote, addresses, epoch, promotedAtTx}, got " +
                                                 v.to_display());
    }
    FormerUpstream f;
    f.remote = remote->as_string();
    for (const auto& a : addresses->as_list()) {
        if (!a.is_string()) {
            return Status(CCDR_INVALID_ARGUMENT, "formerUpstream addresses must be strings, got " + a.to_display());
        }
        f.addresses.push_back(a.as_string());
    }
    f.epoch = static_cast<uint64_t>(epoch->as_int());
    f.promoted_at_tx = static_cast<uint64_t>(at->as_int());
    return f;
}

HealFence::HealFence(HostHandle host, std::string cluster_id, std::chrono::milliseconds io_timeout, OpenSession open,
                     std::function<std::vector<std::string>()> standard, std::chrono::milliseconds interval,
                     std::shared_ptr<spdlog::logger> log)
    : host_(host), cluster_id_(std::move(cluster_id)), io_timeout_(io_timeout), open_(std::move(open)),
      standard_(std::move(standard)), interval_(interval), log_(std::move(log)) {}

HealFence::~HealFence() { stop(); }

void HealFence::start() {
    if (interval_.count() <= 0 || thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void HealFence::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void HealFence::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
            return;
        }
        lock.unlock();
        run_once();
        lock.lock();
    }
}

void HealFence::run_once() {
    for (const auto& name : standard_()) {
        {
            std::lock_guard still(mu_);
            if (stopping_) {
                return;
            }
        }
        auto option = host_.get_database_option(name, kFormerUpstreamOption);
        if (!option || option->is_null()) {
            continue;
        }
        auto info = host_.database_info(name);
        if (!info || info->kind != CCDR_KIND_STANDARD) {
            continue;
        }
        bool writer_here = false;
        for (const auto& m : info->members) {
            writer_here = writer_here || (m.is_local && m.is_writer);
        }
        if (!writer_here) {
            continue;  // the server hosting the writer does it
        }
        auto former = parse_former_upstream(*option);
        if (!former) {
            log_->error("database '{}': {}; fence on heal is off for it", name, former.status().message());
            (void)host_.set_database_option(name, kFormerUpstreamOption, nullptr);
            continue;
        }
        fence_former_upstream(*info, *former);
    }
}

void HealFence::fence_former_upstream(const DatabaseInfo& info, const FormerUpstream& former) {
    auto note_failure = [&](const std::string& why, bool unreachable) {
        std::string& last = last_failure_[info.name];
        if (last != why) {
            last = why;
            if (unreachable) {
                log_->info("fence on heal for '{}': the former upstream '{}' does not answer yet ({}); asking again "
                           "every {} ms", info.name, former.remote, why, interval_.count());
            } else {
                log_->warn("fence on heal for '{}': the former upstream refused to fence '{}': {}", info.name,
                           former.remote, why);
            }
        }
    };
    auto session = open_(former.addresses);
    if (!session) {
        note_failure(session.status().message(), session.status().code() != CCDR_PROCEDURE_CALL_FAILED);
        return;
    }
    protocol::FenceRequest request;
    request.name = former.remote;
    request.store_id = info.store_id;
    request.epoch = info.epoch;
    request.fence = true;
    request.heal = true;
    request.replica_database = info.name;
    request.reason = "promoted away: '" + info.name + "' of cluster " + cluster_id_ + " is the writer since tx " +
                     std::to_string(former.promoted_at_tx) + " (epoch " + std::to_string(info.epoch) + ")";
    auto fenced = (*session)->ask<protocol::Fenced>(request, io_timeout_);
    if (!fenced) {
        note_failure(fenced.status().message(), fenced.status().code() != CCDR_PROCEDURE_CALL_FAILED);
        return;
    }
    last_failure_.erase(info.name);
    Status cleared = host_.set_database_option(info.name, kFormerUpstreamOption, nullptr);
    log_->warn("fence on heal: the former upstream '{}' at {} is read-only now (its last tx {}): {}{}", former.remote,
               (*session)->address(), fenced->last_tx, request.reason,
               cleared ? std::string() : "; removing the formerUpstream option failed: " + cleared.message());
}

}  // namespace ccdr::plugin
