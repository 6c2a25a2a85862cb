#include "replica/continuous_verifier.hpp"

#include "replica/member_setup.hpp"
#include "replica/upstream_fingerprint.hpp"
#include "runtime/wall_clock.hpp"

namespace ccdr::plugin {

ContinuousVerifier::ContinuousVerifier(const UpstreamDialer& dialer, std::string database,
                                       std::chrono::milliseconds interval)
    : dialer_(dialer), database_(std::move(database)), interval_(interval) {}

ContinuousVerifier::~ContinuousVerifier() { stop(); }

void ContinuousVerifier::start() {
    std::lock_guard lock(mu_);
    if (interval_.count() <= 0 || thread_.joinable() || stopping_) {
        return;
    }
    thread_ = std::thread([this] { run(); });
}

void ContinuousVerifier::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
        thread_.join();
    }
}

ContinuousVerifier::View ContinuousVerifier::view() const {
    std::lock_guard lock(mu_);
    return view_;
}

void ContinuousVerifier::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
            break;
        }
        lock.unlock();
        verify_once();
        lock.lock();
    }
}

void ContinuousVerifier::report(Outcome outcome, std::string text) {
    std::lock_guard lock(mu_);
    view_.outcome = outcome;
    view_.text = std::move(text);
    if (outcome == Outcome::kFailed) {
        ++view_.failures;
    }
}

void ContinuousVerifier::verify_once() {
    const session::SessionContext& context = dialer_.context();
    const HostHandle& host = context.host;
    auto& log = context.log;
    {
        std::lock_guard lock(mu_);
        ++view_.checks;
    }
    if (!host.has_running_fingerprint()) {
        auto r = host.running_fingerprint(database_, "", 0);  // the wrapper's sentence, without a call
        report(Outcome::kUnsupported, "verification unsupported: " + r.status().message());
        return;
    }
    auto setup = load_member_setup(host, database_);
    if (!setup) {
        report(Outcome::kFailed, "verification failed: " + setup.status().message());
        log->warn("continuous verification of replica '{}' failed: {}", database_, setup.status().message());
        return;
    }
    if (setup->kind != CCDR_KIND_REPLICA) {
        return;  // promoted meanwhile: the member is about to stop
    }
    auto mine = host.running_fingerprint(database_, "", 0);
    if (!mine) {
        if (mine.status().code() == CCDR_UNSUPPORTED) {
            report(Outcome::kUnsupported, "verification unsupported: " + mine.status().message());
        } else {
            report(Outcome::kFailed, "verification failed: " + mine.status().message());
            log->warn("continuous verification of replica '{}' failed: {}", database_, mine.status().message());
        }
        return;
    }
    if (mine->tx_id == 0) {
        report(Outcome::kNotYet, "");  // nothing applied yet: nothing to compare
        return;
    }
    const ReplicaConfig& link = setup->config;
    auto theirs = running_fingerprint_upstream(dialer_, link.addresses, link.remote, setup->store_id, setup->epoch,
                                               mine->tx_id);
    if (!theirs) {
        if (theirs.status().code() == CCDR_UNSUPPORTED) {
            report(Outcome::kUnsupported, "verification unsupported by the upstream: " + theirs.status().message());
            log->info("continuous verification of replica '{}': unsupported by the upstream: {}", database_,
                      theirs.status().message());
        } else {
            report(Outcome::kFailed, "verification failed: " + theirs.status().message());
            log->warn("continuous verification of replica '{}' failed: {}", database_, theirs.status().message());
        }
        return;
    }
    if (theirs->algorithm != mine->algorithm) {
        report(Outcome::kUnsupported, "verification unsupported: the upstream's fingerprint (" + theirs->algorithm +
                                          ") and this host's (" + mine->algorithm + ") are not comparable");
        return;
    }
    if (theirs->fingerprint == mine->fingerprint && theirs->tx_id == mine->tx_id) {
        const int64_t now = runtime::wall_clock_ms();
        std::lock_guard lock(mu_);
        view_.outcome = Outcome::kVerified;
        view_.last_verified_tx = mine->tx_id;
        view_.last_verified_ms = now;
        view_.text = "verified at tx " + std::to_string(mine->tx_id);
        return;
    }
    {
        std::lock_guard lock(mu_);
        view_.outcome = Outcome::kMismatch;
        ++view_.mismatches;
        view_.text = "DIVERGED from the upstream at tx " + std::to_string(mine->tx_id) +
                     " (running fingerprints differ; debug.log has both; last verified tx " +
                     std::to_string(view_.last_verified_tx) + ")";
    }
    log->error("continuous verification of replica '{}': content differs from upstream '{}': this member has "
               "running fingerprint {} at tx {}, the upstream at {} has {} at tx {} ({}); replication goes on",
               database_, link.remote, mine->fingerprint, mine->tx_id, theirs->address, theirs->fingerprint,
               theirs->tx_id, mine->algorithm);
}

}  // namespace ccdr::plugin
