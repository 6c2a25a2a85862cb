// What an upstream server answers FENCE_REQUEST, DEMOTE_REQUEST and
// HISTORY_REQUEST with (upstream/region_switch_answers.hpp), against the
// in-memory host with no plugin attached (so no replica is subscribed):
// every refusal and that it changed nothing, a fence on heal, and the
// history's hashes.
#include "session/log_hashes.hpp"
#include "support/memory_host.hpp"
#include "upstream/region_switch_answers.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

using ccdr::HostHandle;
using ccdr::plugin::answer_demote;
using ccdr::plugin::answer_fence;
using ccdr::plugin::answer_history;
using ccdr::plugin::UpstreamChecks;
using ccdr::protocol::DemoteRequest;
using ccdr::protocol::FenceRequest;
using ccdr::protocol::HistoryRequest;
using ccdr::protocol::RefusalCode;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

struct Upstream {
    MemoryHost host{"a1", {}};
    ccdr::session::SessionContext context;
    std::unique_ptr<UpstreamChecks> checks;
    std::string store_id;

    explicit Upstream(bool remote_fencing = true, std::vector<std::string> allowed = {"*"}) {
        context.host = HostHandle(ccdr::host_api(), host.ctx());
        context.server.server_id = "a1";
        context.server.cluster_id = "cluster-a";
        context.settings.remote_fencing = remote_fencing;
        context.settings.allowed_databases = allowed;
        context.log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
        checks = std::make_unique<UpstreamChecks>(context.host, "a1", allowed);
        REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        for (int i = 0; i < 10; ++i) {
            REQUIRE(host.commit("foo", {uint8_t(i), 1, 2, 3}));
        }
        store_id = host.member("foo")->store_id;
    }

    FenceRequest fence(bool heal = false, uint64_t epoch = 1) const {
        return FenceRequest{"foo", store_id, epoch, true, heal, "foo-replica", "test", 1000};
    }
    bool fenced() const { return host.member("foo")->read_only; }
};

}  // namespace

TEST_CASE("fence for a switchover: refused unless the peer's cluster is subscribed, and nothing changes",
          "[upstream][switchover]") {
    Upstream up;
    auto a = answer_fence(up.context, *up.checks, "cluster-b", up.fence());
    REQUIRE(a.refusal);
    CHECK(a.refusal->code == RefusalCode::kNotAllowed);
    CHECK_THAT(a.refusal->reason, Contains("no live subscription of 'foo' for 'foo-replica'"));
    CHECK_FALSE(up.fenced());

    FenceRequest other = up.fence();
    other.store_id = "another-store";
    a = answer_fence(up.context, *up.checks, "cluster-b", other);
    REQUIRE(a.refusal);
    CHECK(a.refusal->code == RefusalCode::kLineageMismatch);
    other = up.fence();
    other.name = "missing";
    CHECK(answer_fence(up.context, *up.checks, "cluster-b", other).refusal->code == RefusalCode::kDatabaseNotFound);
    CHECK_FALSE(up.fenced());
}

TEST_CASE("remote fencing off, or a database not allowed: every request is refused", "[upstream][switchover]") {
    Upstream off(false);
    auto a = answer_fence(off.context, *off.checks, "cluster-b", off.fence(true, 2));
    REQUIRE(a.refusal);
    CHECK_THAT(a.refusal->reason, Contains("ccdr.upstream.remote_fencing=false"));
    CHECK_FALSE(off.fenced());

    Upstream listed(true, {"bar"});
    a = answer_fence(listed.context, *listed.checks, "cluster-b", listed.fence(true, 2));
    REQUIRE(a.refusal);
    CHECK(a.refusal->code == RefusalCode::kNotAllowed);
    CHECK_THAT(a.refusal->reason, Contains("allowed_databases"));
    CHECK_FALSE(listed.fenced());
}

TEST_CASE("fence on heal: only from a newer epoch of the same store, and a replica is answered as fenced",
          "[upstream][heal]") {
    Upstream up;
    auto a = answer_fence(up.context, *up.checks, "cluster-b", up.fence(true, 1));
    REQUIRE(a.refusal);
    CHECK_THAT(a.refusal->reason, Contains("not older than the promoted database's 1"));
    CHECK_FALSE(up.fenced());
    FenceRequest unfence = up.fence(true, 2);
    unfence.fence = false;
    CHECK_THAT(answer_fence(up.context, *up.checks, "cluster-b", unfence).refusal->reason,
               Contains("cannot unfence"));

    a = answer_fence(up.context, *up.checks, "cluster-b", up.fence(true, 2));
    REQUIRE_FALSE(a.refusal);
    CHECK(a.reply.read_only);
    CHECK(a.reply.last_tx == 10);
    CHECK(up.fenced());
    CHECK(up.host.member("foo")->access_reason == "test");
    CHECK_FALSE(up.host.commit("foo", {1}));
}

TEST_CASE("demote: only on the session that fenced, at the fenced tx", "[upstream][switchover]") {
    Upstream up;
    DemoteRequest demote{"foo", up.store_id, 1, 2, 10, "foo-replica", {"127.0.0.1:7000"}};
    auto a = answer_demote(up.context, *up.checks, std::nullopt, 0, demote);
    REQUIRE(a.refusal);
    CHECK_THAT(a.refusal->reason, Contains("without this session's switchover fence"));
    FenceRequest fence = up.fence();
    demote.at_tx = 9;
    a = answer_demote(up.context, *up.checks, fence, 10, demote);
    REQUIRE(a.refusal);
    CHECK_THAT(a.refusal->reason, Contains("fenced at tx 10"));
    demote.at_tx = 10;
    demote.new_epoch = 1;
    CHECK(answer_demote(up.context, *up.checks, fence, 10, demote).refusal->code == RefusalCode::kLineageMismatch);
    CHECK(up.host.member("foo")->kind == CCDR_KIND_STANDARD);

    demote.new_epoch = 2;
    a = answer_demote(up.context, *up.checks, fence, 10, demote);
    REQUIRE_FALSE(a.refusal);
    CHECK(a.reply.at_tx == 10);
    auto m = up.host.member("foo");
    CHECK(m->kind == CCDR_KIND_REPLICA);
    CHECK(m->epoch == 2);
}

TEST_CASE("history: the hashes of a range of the log, as the other side computes them", "[upstream][reattach]") {
    Upstream up;
    auto a = answer_history(up.context, *up.checks, HistoryRequest{"foo", up.store_id, 3, 20});
    REQUIRE_FALSE(a.refusal);
    CHECK(a.reply.from_tx == 3);
    CHECK(a.reply.last_tx == 10);
    REQUIRE(a.reply.hashes.size() == 8);
    auto mine = ccdr::session::log_hashes(up.context.host, "foo", 3, 10);
    REQUIRE(mine);
    CHECK(*mine == a.reply.hashes);
    a = answer_history(up.context, *up.checks, HistoryRequest{"foo", "another-store", 1, 5});
    REQUIRE(a.refusal);
    CHECK(a.refusal->code == RefusalCode::kLineageMismatch);
}
