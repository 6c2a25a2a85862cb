// test/support/bolt_test_util.hpp: helpers for Bolt tests: decoding what a
// session wrote, and a session wired to the fakes.
#pragma once

#include "bolt/chunking.hpp"
#include "bolt/message.hpp"
#include "bolt/session.hpp"
#include "support/bolt_fakes.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace refhost::bolt::testing {

inline std::vector<Message> decode_all(const std::vector<uint8_t>& bytes) {
    ChunkDecoder d(1 << 24);
    std::vector<std::vector<uint8_t>> raw;
    REQUIRE(d.feed(bytes, raw).ok());
    REQUIRE(d.between_messages());
    std::vector<Message> out;
    for (const auto& r : raw) {
        auto m = decode_message(r);
        REQUIRE(m.ok());
        out.push_back(std::move(m.value()));
    }
    return out;
}

inline const Map& meta(const Message& m) {
    REQUIRE(m.fields.size() == 1);
    REQUIRE(m.fields[0].is<Map>());
    return m.fields[0].as<Map>();
}

inline std::string failure_code(const Message& m) {
    REQUIRE(m.tag == msg::kFailure);
    const Map& md = meta(m);
    auto it = md.find("neo4j_code");
    if (it == md.end()) {
        it = md.find("code");
    }
    REQUIRE(it != md.end());
    return it->second.as<std::string>();
}

inline Map basic_auth(const std::string& user = "neo4j", const std::string& password = "secret") {
    return Map{{"scheme", "basic"}, {"principal", user}, {"credentials", password}};
}

struct Harness {
    refhost::testing::FakeDbms dbms;
    refhost::testing::FakeEngine engine;
    std::unique_ptr<BoltSession> session;
    BoltSession::After last = BoltSession::After::Continue;

    explicit Harness(BoltVersion v = {5, 8}, size_t server = 0) {
        session = std::make_unique<BoltSession>(dbms, engine, server, v, "bolt-test");
    }

    std::vector<Message> send(uint8_t tag, List fields = {}) {
        std::vector<uint8_t> out;
        last = session->handle(Message{tag, std::move(fields)}, out);
        return decode_all(out);
    }

    // HELLO (+ LOGON from 5.1) as `user`; requires success.
    void login(const std::string& user = "neo4j") {
        Map hello{{"user_agent", "test/1.0"}};
        if (session->version() == BoltVersion{5, 0}) {
            for (auto& [k, v] : basic_auth(user)) {
                hello[k] = v;
            }
        }
        auto r = send(msg::kHello, {hello});
        REQUIRE(r.size() == 1);
        REQUIRE(r[0].tag == msg::kSuccess);
        if (session->version() >= BoltVersion{5, 1}) {
            auto l = send(msg::kLogon, {basic_auth(user)});
            REQUIRE(l.size() == 1);
            REQUIRE(l[0].tag == msg::kSuccess);
        }
        REQUIRE(session->state() == SessionState::Ready);
    }

    std::vector<Message> run(const std::string& q, Map params = {}, Map extra = {}) {
        return send(msg::kRun, {q, params, extra});
    }
    std::vector<Message> pull(int64_t n = -1, int64_t qid = -1) {
        Map extra{{"n", n}};
        if (qid != -1) {
            extra["qid"] = qid;
        }
        return send(msg::kPull, {extra});
    }
};

}  // namespace refhost::bolt::testing
