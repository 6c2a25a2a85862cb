// A connection's deadlines (transport/connection.hpp): one watchdog timer
// serves every pending operation. A read that does not complete in its time
// closes the connection with CCDR_TIMEOUT naming what timed out; a read that
// completed leaves no deadline behind (the watchdog, still armed for it,
// finds nothing pending); a shorter deadline after a longer one still fires
// in its own time. The other end is a scripted peer on 127.0.0.1.
#include "session/exchange.hpp"
#include "support/plugin_loopback.hpp"

#include <catch2/catch.hpp>

#include <functional>

using ccdr::test::MemoryHost;
using ccdr::test::PluginLoopback;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
namespace protocol = ccdr::protocol;
namespace session = ccdr::session;
using namespace std::chrono_literals;

namespace {

struct Outcome {
    bool first_read = false;
    bool open_after_pause = false;
    ccdr_status timeout_code = CCDR_OK;
    std::string timeout_message;
    Clock::duration short_read_took{};
    std::string close_reason;
};

using Connection = std::shared_ptr<ccdr::transport::Connection>;

// Connects to the scripted peer of `loop` and runs `body` on the connection.
Outcome run_connected(PluginLoopback& loop, std::function<asio::awaitable<void>(Connection, Outcome&)> body) {
    auto strand = loop.runtime().make_strand();
    return loop.run<Outcome>(strand, [&]() -> asio::awaitable<Outcome> {
        Outcome o;
        auto connection = co_await loop.connect(strand);
        REQUIRE(connection);
        co_await body(*connection, o);
        co_return o;
    });
}

// A read of `timeout` from a peer that sends nothing: how long it took and how it failed.
asio::awaitable<void> read_nothing(Connection c, std::chrono::milliseconds timeout, Outcome& o) {
    const auto start = Clock::now();
    auto timed_out = co_await c->read_frame(timeout);
    o.short_read_took = Clock::now() - start;
    o.timeout_code = timed_out.status().code();
    o.timeout_message = timed_out.status().message();
    o.close_reason = c->close_reason();
}

}  // namespace

TEST_CASE("connection deadlines: a completed read leaves none behind, a later shorter one fires in its time",
          "[transport]") {
    MemoryHost host("a1", {});
    // The peer: one HEARTBEAT at once, then silence until the other side hangs up.
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        protocol::Heartbeat beat{{1, 0, 0}};
        co_await session::send(*c, beat);
        co_await c->read_frame(10s);
    });
    const Outcome out = run_connected(loop, [&](Connection c, Outcome& o) -> asio::awaitable<void> {
        // Completes well inside 60 ms... and the connection must outlive that deadline.
        auto frame = co_await c->read_frame(60ms);
        o.first_read = static_cast<bool>(frame);
        asio::steady_timer pause(c->strand(), 200ms);
        co_await pause.async_wait(asio::use_awaitable);
        o.open_after_pause = c->is_open();
        // The peer sends nothing more: the next read times out.
        co_await read_nothing(c, 80ms, o);
    });
    CHECK(out.first_read);
    CHECK(out.open_after_pause);
    CHECK(out.timeout_code == CCDR_TIMEOUT);
    CHECK_THAT(out.timeout_message, Contains("reading a frame timed out after 80ms"));
    CHECK(out.close_reason == "reading a frame timed out after 80ms");
    CHECK(out.short_read_took >= 80ms);
    CHECK(out.short_read_took < 5s);
}

TEST_CASE("connection deadlines: a short deadline after a longer armed one fires in its own time", "[transport]") {
    MemoryHost host("a1", {});
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        co_await c->read_frame(10s);  // takes the HEARTBEAT below, then silent until the other side hangs up
        co_await c->read_frame(10s);
    });
    const Outcome out = run_connected(loop, [&](Connection c, Outcome& o) -> asio::awaitable<void> {
        // A write arms the watchdog for the io timeout (5 s here) and
        // completes at once: the watchdog stays armed for 5 s.
        protocol::Heartbeat beat{{1, 0, 0}};
        o.first_read = static_cast<bool>(co_await session::send(*c, beat));
        co_await read_nothing(c, 80ms, o);
    });
    CHECK(out.first_read);
    CHECK(out.timeout_code == CCDR_TIMEOUT);
    CHECK_THAT(out.timeout_message, Contains("reading a frame timed out after 80ms"));
    CHECK(out.short_read_took >= 80ms);
    // Not the write's 5 s.
    CHECK(out.short_read_took < 4s);
}
