// plugin/replica/ask_upstreams.hpp: one request/answer exchange with an
// upstream cluster, from a procedure's thread: each address in turn, on a
// strand of the plugin's runtime, until one answers; the caller blocks for
// the result. Used by the probe (createReplicaDatabase) and the fingerprint
// request (verifyReplicaDatabase).
#pragma once

#include "replica/upstream_dialer.hpp"

#include <future>
#include <string>
#include <vector>

namespace ccdr::plugin {

// What one address said. A refusal can be an answer (the next address would
// say the same): `answered` stops the walk over the addresses.
template <class T>
struct UpstreamAttempt {
    Result<T> result = Status(CCDR_INTERNAL, "not asked");
    bool answered = false;
};

// `ask(strand, address)` returns asio::awaitable<UpstreamAttempt<T>>; it must
// own what it uses (it runs on the runtime, and the caller returns as soon as
// an answer is set). `what` names the request in the error when no address
// answered.
template <class T, class Ask>
Result<T> ask_upstreams(const UpstreamDialer& dialer, const std::vector<std::string>& addresses, std::string what,
                        Ask ask) {
    Status ready = dialer.can_dial(addresses);
    if (!ready) {
        return ready;
    }
    std::promise<Result<T>> done;
    auto answer = done.get_future();
    runtime::IoRuntime& runtime = *dialer.context().runtime;
    auto strand = runtime.make_strand();
    const bool spawned = runtime.spawn(
        strand, [&done, strand, addresses, what = std::move(what), ask = std::move(ask)]() -> asio::awaitable<void> {
            std::string failures;
            for (const auto& address : addresses) {
                UpstreamAttempt<T> attempt = co_await ask(strand, address);
                if (attempt.answered) {
                    done.set_value(std::move(attempt.result));
                    co_return;
                }
                failures += (failures.empty() ? "" : "; ") + address + ": " + attempt.result.status().message();
            }
            done.set_value(Status(CCDR_IO_ERROR, "no upstream address answered " + what + ": " + failures));
        });
    if (!spawned) {
        return Status(CCDR_STOPPED, "the ccdr plugin is stopping");
    }
    return answer.get();
}

}  // namespace ccdr::plugin
