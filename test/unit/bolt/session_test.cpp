// The Bolt state machine against the fake DBMS and engine: authentication,
// auto-commit and explicit transactions, FAILED/IGNORED/RESET, refusals of
// out-of-order messages, routing, FAILURE metadata per version.
#include "bolt/failure.hpp"
#include "support/bolt_test_util.hpp"

using namespace refhost;
using namespace refhost::bolt;
using namespace refhost::bolt::testing;
using After = BoltSession::After;

TEST_CASE("HELLO and LOGON authenticate and describe the server", "[session]") {
    Harness h({5, 8});
    auto hello = h.send(msg::kHello, {Map{{"user_agent", "neo4j-javascript/6.3.0"},
                                          {"routing", Map{{"address", "127.0.0.1:7687"}}}}});
    REQUIRE(hello.size() == 1);
    REQUIRE(hello[0].tag == msg::kSuccess);
    const Map& md = meta(hello[0]);
    CHECK(md.at("server") == Value("Neo4j/2026.03.0-refhost-fake"));
    CHECK(md.at("connection_id") == Value("bolt-test"));
    const Map& hints = md.at("hints").as<Map>();
    CHECK(hints.at("telemetry.enabled") == Value(true));
    CHECK(hints.count("ssr.enabled") == 0);
    CHECK(h.session->state() == SessionState::Authentication);

    auto logon = h.send(msg::kLogon, {basic_auth()});
    REQUIRE(logon[0].tag == msg::kSuccess);
    CHECK(meta(logon[0]).count("advertised_address") == 1);
    CHECK(h.session->state() == SessionState::Ready);

    auto logoff = h.send(msg::kLogoff);
    REQUIRE(logoff[0].tag == msg::kSuccess);
    CHECK(h.session->state() == SessionState::Authentication);
    h.send(msg::kLogon, {basic_auth("reader")});
    CHECK(h.session->state() == SessionState::Ready);
}

TEST_CASE("Bolt 5.0 authenticates inside HELLO", "[session]") {
    Harness h({5, 0});
    h.login();
    auto r = h.run("RETURN 1");
    CHECK(r[0].tag == msg::kSuccess);

    Harness bad({5, 0});
    auto fail = bad.send(msg::kHello, {Map{{"user_agent", "x"}, {"scheme", "basic"}, {"principal", "neo4j"},
                                           {"credentials", "wrong"}}});
    CHECK(failure_code(fail[0]) == "Neo.ClientError.Security.Unauthorized");
    CHECK(bad.last == After::Close);
}

TEST_CASE("a wrong password is Unauthorized and closes the connection", "[session]") {
    for (BoltVersion v : {BoltVersion{5, 4}, BoltVersion{5, 8}}) {
        Harness h(v);
        h.send(msg::kHello, {Map{{"user_agent", "x"}}});
        auto r = h.send(msg::kLogon, {basic_auth("neo4j", "nope")});
        REQUIRE(r.size() == 1);
        CHECK(failure_code(r[0]) == "Neo.ClientError.Security.Unauthorized");
        CHECK(h.last == After::Close);
        CHECK(h.session->state() == SessionState::Defunct);
    }
    Harness none({5, 8});
    none.send(msg::kHello, {Map{{"user_agent", "x"}}});
    auto r = none.send(msg::kLogon, {Map{{"scheme", "none"}}});
    CHECK(failure_code(r[0]) == "Neo.ClientError.Security.Unauthorized");

    Harness disabled({5, 8});
    disabled.dbms.auth_enabled_ = false;
    disabled.send(msg::kHello, {Map{{"user_agent", "x"}}});
    auto ok = disabled.send(msg::kLogon, {Map{{"scheme", "none"}}});
    CHECK(ok[0].tag == msg::kSuccess);

    Harness kerberos({5, 8});
    kerberos.send(msg::kHello, {Map{{"user_agent", "x"}}});
    auto k = kerberos.send(msg::kLogon, {Map{{"scheme", "kerberos"}, {"credentials", "t"}}});
    CHECK(failure_code(k[0]) == "Neo.ClientError.Security.Unauthorized");
    CHECK(meta(k[0]).at("message").as<std::string>().find("kerberos") != std::string::npos);
}

TEST_CASE("messages before authentication are refused and close the connection", "[session]") {
    Harness h({5, 8});
    auto r = h.run("RETURN 1");
    CHECK(failure_code(r[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(h.last == After::Close);

    Harness no_agent({5, 8});
    auto n = no_agent.send(msg::kHello, {Map{}});
    CHECK(failure_code(n[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(no_agent.last == After::Close);

    Harness run_before_logon({5, 8});
    run_before_logon.send(msg::kHello, {Map{{"user_agent", "x"}}});
    auto b = run_before_logon.run("RETURN 1");
    CHECK(failure_code(b[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(run_before_logon.last == After::Close);
}

TEST_CASE("auto-commit streams with n and has_more, then commits with a bookmark", "[session]") {
    Harness h;
    h.login();
    auto run = h.run("ROWS 5", {}, Map{{"db", "neo4j"}, {"bookmarks", List{"FB:neo4j:1", "FB:foo:2"}}});
    REQUIRE(run[0].tag == msg::kSuccess);
    CHECK(meta(run[0]).at("fields") == Value(List{"i"}));
    CHECK(meta(run[0]).count("t_first") == 1);
    CHECK(meta(run[0]).count("qid") == 0);
    CHECK(meta(run[0]).count("db") == 0);  // the client named it
    CHECK(h.session->state() == SessionState::Streaming);
    CHECK(h.dbms.observed().last_bookmarks == std::vector<std::string>{"FB:neo4j:1", "FB:foo:2"});

    auto first = h.pull(2);
    REQUIRE(first.size() == 3);
    CHECK(first[0].tag == msg::kRecord);
    CHECK(first[0].fields[0] == Value(List{int64_t{1}}));
    CHECK(meta(first[2]).at("has_more") == Value(true));
    CHECK(h.dbms.observed().commits == 0);

    auto rest = h.pull(-1);
    REQUIRE(rest.size() == 4);
    CHECK(rest[2].fields[0] == Value(List{int64_t{5}}));
    const Map& summary = meta(rest[3]);
    CHECK(summary.count("has_more") == 0);
    CHECK(summary.at("bookmark").as<std::string>().starts_with("FB:neo4j:"));
    CHECK(summary.at("type") == Value("r"));
    CHECK(summary.at("db") == Value("neo4j"));
    CHECK(summary.count("t_last") == 1);
    CHECK(h.dbms.observed().commits == 1);
    CHECK(h.session->state() == SessionState::Ready);
}

TEST_CASE("DISCARD ends the stream and still commits", "[session]") {
    Harness h;
    h.login();
    h.run("ROWS 10");
    auto some = h.send(msg::kDiscard, {Map{{"n", int64_t{3}}}});
    REQUIRE(some.size() == 1);
    CHECK(meta(some[0]).at("has_more") == Value(true));
    auto all = h.send(msg::kDiscard, {Map{{"n", int64_t{-1}}}});
    REQUIRE(all.size() == 1);
    CHECK(meta(all[0]).count("bookmark") == 1);
    CHECK(h.dbms.observed().commits == 1);
}

TEST_CASE("Bolt 5.8 names the database it chose when the client named none", "[session]") {
    Harness h({5, 8});
    h.login();
    auto run = h.run("RETURN 1");
    CHECK(meta(run[0]).at("db") == Value("neo4j"));
    h.pull();
    auto begin = h.send(msg::kBegin, {Map{}});
    CHECK(meta(begin[0]).at("db") == Value("neo4j"));

    Harness old({5, 4});
    old.login();
    auto run54 = old.run("RETURN 1");
    CHECK(meta(run54[0]).count("db") == 0);
}

TEST_CASE("FAILED ignores everything until RESET", "[session]") {
    Harness h;
    h.login();
    auto fail = h.run("NOT A FAKE COMMAND");
    CHECK(failure_code(fail[0]) == "Neo.ClientError.Statement.SyntaxError");
    CHECK(h.session->state() == SessionState::Failed);
    CHECK(h.dbms.observed().rollbacks == 1);

    // The driver's pipelined PULL, then anything else: IGNORED.
    CHECK(h.pull()[0].tag == msg::kIgnored);
    CHECK(h.run("RETURN 1")[0].tag == msg::kIgnored);
    CHECK(h.send(msg::kBegin, {Map{}})[0].tag == msg::kIgnored);
    CHECK(h.send(msg::kCommit)[0].tag == msg::kIgnored);
    CHECK(h.send(msg::kRoute, {Map{}, List{}, Map{}})[0].tag == msg::kIgnored);
    CHECK(h.session->state() == SessionState::Failed);

    auto reset = h.send(msg::kReset);
    CHECK(reset[0].tag == msg::kSuccess);
    CHECK(h.session->state() == SessionState::Ready);
    auto again = h.run("RETURN 7");
    REQUIRE(again[0].tag == msg::kSuccess);
    auto rows = h.pull();
    CHECK(rows[0].fields[0] == Value(List{int64_t{7}}));
}

TEST_CASE("out-of-order messages are refused with Request.Invalid and the session recovers", "[session]") {
    Harness h;
    h.login();
    struct Case {
        uint8_t tag;
        List fields;
    };
    for (const auto& c : {Case{msg::kPull, {Map{{"n", int64_t{-1}}}}}, Case{msg::kDiscard, {Map{}}},
                          Case{msg::kCommit, {}}, Case{msg::kRollback, {}},
                          Case{msg::kHello, {Map{{"user_agent", "x"}}}}, Case{msg::kLogon, {basic_auth()}}}) {
        auto r = h.send(c.tag, c.fields);
        REQUIRE(r.size() == 1);
        CHECK(failure_code(r[0]) == "Neo.ClientError.Request.Invalid");
        CHECK(meta(r[0]).at("message").as<std::string>().find("READY") != std::string::npos);
        CHECK(h.last == After::Continue);
        CHECK(h.session->state() == SessionState::Failed);
        h.send(msg::kReset);
    }
    // BEGIN inside a transaction, RUN while an auto-commit result is open.
    h.send(msg::kBegin, {Map{}});
    CHECK(failure_code(h.send(msg::kBegin, {Map{}})[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(h.dbms.observed().rollbacks == 1);
    h.send(msg::kReset);
    h.run("ROWS 2");
    CHECK(failure_code(h.run("ROWS 2")[0]) == "Neo.ClientError.Request.Invalid");
    h.send(msg::kReset);
    CHECK(h.run("RETURN 1")[0].tag == msg::kSuccess);
}

TEST_CASE("malformed requests: bad fields fail the request, bad bytes close the connection", "[session]") {
    Harness h;
    h.login();
    auto r = h.send(msg::kRun, {int64_t{1}, Map{}, Map{}});
    CHECK(failure_code(r[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(h.last == After::Continue);
    h.send(msg::kReset);
    auto wrong_count = h.send(msg::kRun, {"RETURN 1"});
    CHECK(failure_code(wrong_count[0]) == "Neo.ClientError.Request.Invalid");
    h.send(msg::kReset);
    auto bad_n = h.run("ROWS 3");
    auto zero = h.send(msg::kPull, {Map{{"n", int64_t{0}}}});
    CHECK(failure_code(zero[0]) == "Neo.ClientError.Request.Invalid");
    h.send(msg::kReset);
    auto mode = h.run("RETURN 1", {}, Map{{"mode", "x"}});
    CHECK(failure_code(mode[0]) == "Neo.ClientError.Request.Invalid");
    h.send(msg::kReset);

    std::vector<uint8_t> out;
    std::vector<uint8_t> garbage{0xB1, 0x10, 0xC4};
    CHECK(h.session->handle(garbage, out) == After::Close);
    auto msgs = decode_all(out);
    CHECK(failure_code(msgs[0]) == "Neo.ClientError.Request.Invalid");

    Harness unknown;
    unknown.login();
    auto u = unknown.send(0x42);
    CHECK(failure_code(u[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(unknown.last == After::Close);

    // Nodes are not accepted as parameters.
    Harness params;
    params.login();
    std::vector<uint8_t> run_with_node = encode_message(
        msg::kRun, List{"RETURN $n", Map{{"n", refhost::testing::sample_node(1)}}, Map{}});
    std::vector<uint8_t> out2;
    CHECK(params.session->handle(run_with_node, out2) == After::Close);
    CHECK(decode_all(out2)[0].tag == msg::kFailure);
}

TEST_CASE("explicit transactions: qid, several results, commit and rollback", "[session]") {
    Harness h;
    h.login();
    auto begin = h.send(msg::kBegin, {Map{{"db", "neo4j"}, {"bookmarks", List{"FB:neo4j:9"}}}});
    REQUIRE(begin[0].tag == msg::kSuccess);
    CHECK(h.session->state() == SessionState::TxReady);
    CHECK(h.dbms.observed().last_bookmarks == std::vector<std::string>{"FB:neo4j:9"});

    auto r0 = h.run("ROWS 2");
    CHECK(meta(r0[0]).at("qid") == Value(int64_t{0}));
    auto r1 = h.run("ROWS 3");
    CHECK(meta(r1[0]).at("qid") == Value(int64_t{1}));
    CHECK(h.session->state() == SessionState::TxStreaming);

    auto p0 = h.pull(-1, 0);
    REQUIRE(p0.size() == 3);
    CHECK(meta(p0[2]).count("bookmark") == 0);
    CHECK(h.session->state() == SessionState::TxStreaming);
    auto p1 = h.pull(2);  // qid -1: the last RUN
    REQUIRE(p1.size() == 3);
    CHECK(meta(p1[2]).at("has_more") == Value(true));
    auto p1b = h.pull(-1, 1);
    REQUIRE(p1b.size() == 2);
    CHECK(h.session->state() == SessionState::TxReady);
    CHECK(failure_code(h.pull(-1, 5)[0]) == "Neo.ClientError.Request.Invalid");
    h.send(msg::kReset);

    h.send(msg::kBegin, {Map{}});
    h.run("CREATE");
    auto created = h.pull();
    REQUIRE(created.size() == 2);
    CHECK(created[0].fields[0].as<List>()[0].is<Node>());
    const Map& s = meta(created[1]);
    CHECK(s.at("type") == Value("w"));
    CHECK(s.at("stats").as<Map>().at("nodes-created") == Value(int64_t{1}));
    CHECK(s.at("stats").as<Map>().at("contains-updates") == Value(true));
    int commits = h.dbms.observed().commits;
    auto commit = h.send(msg::kCommit);
    CHECK(meta(commit[0]).at("bookmark").as<std::string>().starts_with("FB:neo4j:"));
    CHECK(h.dbms.observed().commits == commits + 1);
    CHECK(h.session->state() == SessionState::Ready);

    int rollbacks = h.dbms.observed().rollbacks;
    h.send(msg::kBegin, {Map{}});
    h.run("CREATE");
    auto rb = h.send(msg::kRollback);  // with an unconsumed result
    CHECK(rb[0].tag == msg::kSuccess);
    CHECK(h.dbms.observed().rollbacks == rollbacks + 1);
    CHECK(h.session->state() == SessionState::Ready);

    // A failure inside a transaction rolls it back.
    h.send(msg::kBegin, {Map{}});
    h.run("FAIL Neo.ClientError.Statement.TypeError boom");
    CHECK(h.dbms.observed().rollbacks == rollbacks + 2);
    CHECK(h.session->state() == SessionState::Failed);
}

TEST_CASE("GOODBYE closes without a reply and rolls back", "[session]") {
    Harness h;
    h.login();
    h.send(msg::kBegin, {Map{}});
    auto r = h.send(msg::kGoodbye);
    CHECK(r.empty());
    CHECK(h.last == After::Close);
    CHECK(h.dbms.observed().rollbacks == 1);
}

TEST_CASE("READ access mode reaches the engine, writes there are AccessMode", "[session]") {
    Harness h;
    h.login();
    auto r = h.run("CREATE", {}, Map{{"mode", "r"}});
    CHECK(failure_code(r[0]) == "Neo.ClientError.Statement.AccessMode");
    CHECK(h.dbms.observed().last_begin_mode == AccessMode::Read);
    h.send(msg::kReset);
    h.send(msg::kBegin, {Map{{"mode", "r"}}});
    auto in_tx = h.run("CREATE");
    CHECK(failure_code(in_tx[0]) == "Neo.ClientError.Statement.AccessMode");
}

TEST_CASE("a write on a member that is not the writer gets NotALeader", "[session]") {
    Harness h({5, 8}, 1);
    h.login();
    auto r = h.run("CREATE");
    CHECK(failure_code(r[0]) == "Neo.ClientError.Cluster.NotALeader");
    CHECK(meta(r[0]).at("gql_status") == Value("08N07"));
}

TEST_CASE("administration runs on system without a transaction", "[session]") {
    Harness h;
    h.login();
    int begins = h.dbms.observed().begins;
    auto show = h.run("SHOW DATABASES", {}, Map{{"db", "neo4j"}});
    REQUIRE(show[0].tag == msg::kSuccess);
    CHECK(h.engine.seen().database == "system");
    CHECK_FALSE(h.engine.seen().had_tx);
    CHECK(h.dbms.observed().begins == begins);
    auto rows = h.pull();
    const Map& s = meta(rows.back());
    CHECK(s.at("db") == Value("system"));
    CHECK(s.at("type") == Value("s"));
    CHECK(s.count("bookmark") == 0);

    auto create = h.run("CREATE DATABASE bar");
    REQUIRE(create[0].tag == msg::kSuccess);
    auto done = h.pull();
    CHECK(meta(done.back()).at("stats").as<Map>().at("system-updates") == Value(int64_t{1}));
    CHECK(h.dbms.observed().databases.count("bar") == 1);

    // As `reader`: Forbidden.
    Harness r;
    r.login("reader");
    auto forbidden = r.run("CREATE DATABASE baz");
    CHECK(failure_code(forbidden[0]) == "Neo.ClientError.Security.Forbidden");

    // In an explicit transaction: on system it runs, elsewhere it is refused.
    h.send(msg::kBegin, {Map{{"db", "system"}}});
    CHECK(h.run("SHOW DATABASES")[0].tag == msg::kSuccess);
    h.pull();
    auto commit = h.send(msg::kCommit);
    CHECK(commit[0].tag == msg::kSuccess);
    CHECK(meta(commit[0]).count("bookmark") == 0);
    h.send(msg::kBegin, {Map{{"db", "neo4j"}}});
    auto refused = h.run("SHOW DATABASES");
    CHECK(failure_code(refused[0]) == "Neo.ClientError.Statement.NotSystemDatabaseError");
}

TEST_CASE("an unknown database is DatabaseNotFound", "[session]") {
    Harness h;
    h.login();
    auto r = h.run("RETURN 1", {}, Map{{"db", "nope"}});
    CHECK(failure_code(r[0]) == "Neo.ClientError.Database.DatabaseNotFound");
    CHECK(meta(r[0]).at("gql_status") == Value("22N51"));
    h.send(msg::kReset);
    auto route = h.send(msg::kRoute, {Map{}, List{}, Map{{"db", "nope"}}});
    CHECK(failure_code(route[0]) == "Neo.ClientError.Database.DatabaseNotFound");
}

TEST_CASE("ROUTE returns WRITE, READ, ROUTE and leaves out empty entries", "[session]") {
    Harness h;
    h.login();
    auto r = h.send(msg::kRoute, {Map{{"address", "127.0.0.1:7687"}}, List{}, Map{}});
    REQUIRE(r[0].tag == msg::kSuccess);
    const Map& rt = meta(r[0]).at("rt").as<Map>();
    CHECK(rt.at("ttl") == Value(int64_t{300}));
    CHECK(rt.at("db") == Value("neo4j"));
    const List& servers = rt.at("servers").as<List>();
    REQUIRE(servers.size() == 3);
    CHECK(servers[0].as<Map>().at("role") == Value("WRITE"));
    CHECK(servers[1].as<Map>().at("role") == Value("READ"));
    CHECK(servers[2].as<Map>().at("role") == Value("ROUTE"));
    CHECK(servers[2].as<Map>().at("addresses").as<List>().size() == 3);

    auto replica = h.send(msg::kRoute, {Map{}, List{}, Map{{"db", "replica"}}});
    const List& rs = meta(replica[0]).at("rt").as<Map>().at("servers").as<List>();
    REQUIRE(rs.size() == 2);
    CHECK(rs[0].as<Map>().at("role") == Value("READ"));
    CHECK(rs[1].as<Map>().at("role") == Value("ROUTE"));

    // Not allowed while streaming.
    h.run("ROWS 2");
    CHECK(failure_code(h.send(msg::kRoute, {Map{}, List{}, Map{}})[0]) == "Neo.ClientError.Request.Invalid");
}

TEST_CASE("TELEMETRY is accepted from 5.4 and unknown before", "[session]") {
    Harness h({5, 4});
    h.login();
    CHECK(h.send(msg::kTelemetry, {int64_t{2}})[0].tag == msg::kSuccess);
    Harness old({5, 3});
    old.login();
    auto r = old.send(msg::kTelemetry, {int64_t{2}});
    CHECK(failure_code(r[0]) == "Neo.ClientError.Request.Invalid");
    CHECK(old.last == After::Close);
}

TEST_CASE("FAILURE carries the fields each version expects", "[session][failure]") {
    Error e = make_error(status::kNotALeader, "not the leader");
    for (BoltVersion v : {BoltVersion{5, 0}, BoltVersion{5, 4}, BoltVersion{5, 6}}) {
        Map m = failure_metadata(e, v);
        CHECK(m.size() == 2);
        CHECK(m.at("code") == Value("Neo.ClientError.Cluster.NotALeader"));
        CHECK(m.at("message") == Value("not the leader"));
    }
    for (BoltVersion v : {BoltVersion{5, 7}, BoltVersion{5, 8}}) {
        Map m = failure_metadata(e, v);
        CHECK(m.count("code") == 0);
        CHECK(m.at("neo4j_code") == Value("Neo.ClientError.Cluster.NotALeader"));
        CHECK(m.at("message") == Value("not the leader"));
        CHECK(m.at("gql_status") == Value("08N07"));
        CHECK(m.at("description") == Value("error: connection exception - not the leader. not the leader"));
        const Map& d = m.at("diagnostic_record").as<Map>();
        CHECK(d.at("_classification") == Value("CLIENT_ERROR"));
        CHECK(d.at("OPERATION") == Value(""));
        CHECK(d.at("OPERATION_CODE") == Value("0"));
        CHECK(d.at("CURRENT_SCHEMA") == Value("/"));
    }
    CHECK(error_classification("Neo.TransientError.General.DatabaseUnavailable") == "TRANSIENT_ERROR");
    CHECK(error_classification("Neo.DatabaseError.General.UnknownError") == "DATABASE_ERROR");
    Map unknown = failure_metadata(make_error(status::kUnknownError, "x"), {5, 8});
    CHECK(unknown.at("gql_status") == Value("50N42"));

    // The session uses them.
    Harness h({5, 6});
    h.login();
    auto r = h.run("FAIL Neo.ClientError.Statement.TypeError boom");
    CHECK(meta(r[0]).at("code") == Value("Neo.ClientError.Statement.TypeError"));
    CHECK(meta(r[0]).at("message") == Value("boom"));
}
