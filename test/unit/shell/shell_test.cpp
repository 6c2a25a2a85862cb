// ccdr-shell: parameters, statement splitting, value rendering, table and
// plain output, arguments, and whole sessions run in-process against the
// Bolt server with the fakes.
#include "bolt/server.hpp"
#include "support/bolt_test_util.hpp"
#include "shell/literal.hpp"
#include "shell/options.hpp"
#include "shell/output.hpp"
#include "shell/render.hpp"
#include "shell/script.hpp"
#include "shell/session.hpp"
#include "shell/shell.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <regex>
#include <sstream>

using namespace refhost;
using namespace refhost::shell;

namespace {

std::string normalise_timings(const std::string& s) {
    return std::regex_replace(s, std::regex("after (another )?[0-9]+ ms"), "after $1X ms");
}

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

}  // namespace

TEST_CASE("parameter literals", "[shell]") {
    auto p = parse_parameters("{a: 1, b: 'x', `c d`: [1.5, -2, true, null], e: {f: \"g\\n\"}}");
    REQUIRE(p.ok());
    CHECK(p->at("a") == Value(int64_t{1}));
    CHECK(p->at("b") == Value("x"));
    CHECK(p->at("c d") == Value(List{1.5, int64_t{-2}, true, Value()}));
    CHECK(p->at("e") == Value(Map{{"f", "g\n"}}));

    auto arrow = parse_parameters("name => 'Alice'");
    REQUIRE(arrow.ok());
    CHECK(arrow->at("name") == Value("Alice"));
    auto colon = parse_parameters("n: 0x1F");
    REQUIRE(colon.ok());
    CHECK(colon->at("n") == Value(int64_t{31}));

    CHECK(parse_literal("-9223372036854775808").value() == Value(std::numeric_limits<int64_t>::min()));
    CHECK(parse_literal("1e3").value() == Value(1000.0));
    CHECK(parse_literal(".5").value() == Value(0.5));
    CHECK(parse_literal("'\\u00e9'").value() == Value("é"));
    CHECK(parse_literal("TRUE").value() == Value(true));

    auto expr = parse_parameters("x => date('2020-01-01')");
    REQUIRE_FALSE(expr.ok());
    CHECK(expr.error().message.find("'date' is not a literal") != std::string::npos);
    CHECK_FALSE(parse_parameters("{a: 1").ok());
    CHECK_FALSE(parse_parameters("x => 1 2").ok());
    CHECK_FALSE(parse_literal("9223372036854775808").ok());
    CHECK_FALSE(parse_literal("'open").ok());
    std::string deep(100, '[');
    CHECK_FALSE(parse_literal(deep).ok());
}

TEST_CASE("scripts split at semicolons outside strings and comments", "[shell]") {
    auto items = split_script(
        "CREATE (n {s: 'a;b'});\n// comment; here\nMATCH (n) /* ; */ RETURN n;\n:use foo\n"
        "RETURN \"x\\\";\" AS `we;ird`;;  \nRETURN 1");
    REQUIRE(items.size() == 5);
    CHECK(items[0] == ScriptItem{ScriptItem::Kind::Cypher, "CREATE (n {s: 'a;b'})"});
    CHECK(items[1] == ScriptItem{ScriptItem::Kind::Cypher, "// comment; here\nMATCH (n) /* ; */ RETURN n"});
    CHECK(items[2] == ScriptItem{ScriptItem::Kind::Command, ":use foo"});
    CHECK(items[3] == ScriptItem{ScriptItem::Kind::Cypher, "RETURN \"x\\\";\" AS `we;ird`"});
    CHECK(items[4] == ScriptItem{ScriptItem::Kind::Cypher, "RETURN 1"});

    ScriptSplitter s;
    CHECK(s.feed("MATCH (n)\n").empty());
    CHECK(s.pending());
    auto done = s.feed("RETURN n;\n");
    REQUIRE(done.size() == 1);
    CHECK(done[0].text == "MATCH (n)\nRETURN n");
    CHECK_FALSE(s.pending());
    CHECK(split_script("  // only a comment\n").empty());
}

TEST_CASE("values render as cypher-shell prints them", "[shell]") {
    CHECK(render(Value()) == "NULL");
    CHECK(render(true) == "TRUE");
    CHECK(render(false) == "FALSE");
    CHECK(render(int64_t{-42}) == "-42");
    CHECK(render("foo") == "\"foo\"");
    CHECK(render(List{int64_t{1}, "a", List{}}) == "[1, \"a\", []]");
    CHECK(render(Map{{"a", int64_t{1}}, {"b", Map{{"c", Value()}}}}) == "{a: 1, b: {c: NULL}}");

    CHECK(java_double(1.0) == "1.0");
    CHECK(java_double(0.1) == "0.1");
    CHECK(java_double(100.0) == "100.0");
    CHECK(java_double(3.14) == "3.14");
    CHECK(java_double(-2.5) == "-2.5");
    CHECK(java_double(1234567.0) == "1234567.0");
    CHECK(java_double(1e7) == "1.0E7");
    CHECK(java_double(12345678.0) == "1.2345678E7");
    CHECK(java_double(0.001) == "0.001");
    CHECK(java_double(0.0001) == "1.0E-4");
    CHECK(java_double(1e300) == "1.0E300");
    CHECK(java_double(0.0) == "0.0");
    CHECK(java_double(-0.0) == "-0.0");
    CHECK(java_double(std::nan("")) == "NaN");
    CHECK(java_double(-HUGE_VAL) == "-Infinity");

    CHECK(render(Date{0}) == "1970-01-01");
    CHECK(render(Date{-1}) == "1969-12-31");
    CHECK(render(Date{19000}) == "2022-01-08");
    CHECK(render(Date{-719528}) == "0000-01-01");
    CHECK(render(LocalTime{(12 * 3600LL) * 1000000000LL}) == "12:00");
    CHECK(render(LocalTime{(12 * 3600LL + 5) * 1000000000LL + 500000000}) == "12:00:05.500");
    CHECK(render(LocalTime{1}) == "00:00:00.000000001");
    CHECK(render(Time{3600LL * 1000000000LL, 3600}) == "01:00+01:00");
    CHECK(render(Time{0, 0}) == "00:00Z");
    CHECK(render(Time{0, -(5 * 3600 + 30 * 60)}) == "00:00-05:30");
    CHECK(render(LocalDateTime{1700000000, 0}) == "2023-11-14T22:13:20");
    CHECK(render(DateTime{1700000000, 0, 3600}) == "2023-11-14T23:13:20+01:00");
    CHECK(render(DateTime{1700000000, 0, 0}) == "2023-11-14T22:13:20Z");
    CHECK(render(DateTimeZoneId{1700000000, 0, "Europe/Berlin"}) == "2023-11-14T23:13:20+01:00[Europe/Berlin]");
    CHECK(render(Duration{14, 3, 86400, 5}) == "P14M3DT86400.000000005S");
    CHECK(render(Duration{0, 0, -2, 500000000}) == "P0M0DT-1.500S");
    CHECK(render(Point2D{4326, 12.5, -57.0}) == "point({srid:4326, x:12.5, y:-57.0})");
    CHECK(render(Point3D{9157, 1, 2, 3}) == "point({srid:9157, x:1.0, y:2.0, z:3.0})");

    CHECK(render(refhost::testing::sample_node(1)) == "(:Person {name: \"n1\"})");
    CHECK(render(Node{}) == "()");
    CHECK(render(refhost::testing::sample_relationship()) == "[:KNOWS {since: 2020}]");
    CHECK(render(refhost::testing::sample_path()) ==
          "(:Person {name: \"n1\"})-[:KNOWS {since: 2020}]->(:Person {name: \"n2\"})<-[:LIKES]-(:Person {name: "
          "\"n3\"})");
}

TEST_CASE("table and plain output", "[shell]") {
    bolt::ResultSet rs;
    rs.fields = {"name", "ok"};
    rs.records = {List{"foo-replica", false}, List{"x", true}};
    rs.run_metadata = Map{{"t_first", int64_t{3}}};
    rs.summary = Map{{"t_last", int64_t{1}}};
    std::ostringstream table;
    print_result(table, Format::Table, rs);
    CHECK(table.str() ==
          "+-----------------------+\n"
          "| name          | ok    |\n"
          "+-----------------------+\n"
          "| \"foo-replica\" | FALSE |\n"
          "| \"x\"           | TRUE  |\n"
          "+-----------------------+\n"
          "\n"
          "2 rows available after 3 ms, consumed after another 1 ms\n");
    std::ostringstream plain;
    print_result(plain, Format::Plain, rs);
    CHECK(plain.str() == "name, ok\n\"foo-replica\", FALSE\n\"x\", TRUE\n");

    bolt::ResultSet write;
    write.summary = Map{{"t_last", int64_t{0}},
                        {"stats", Map{{"nodes-created", int64_t{1}}, {"properties-set", int64_t{2}},
                                      {"labels-added", int64_t{1}}, {"contains-updates", true}}}};
    std::ostringstream w;
    print_result(w, Format::Table, write);
    CHECK(w.str() == "0 rows available after 0 ms, consumed after another 0 ms\nAdded 1 nodes, Set 2 properties, Added 1 labels\n");

    bolt::ResultSet one;
    one.fields = {"é"};
    one.records = {List{int64_t{1}}};
    std::ostringstream o;
    print_result(o, Format::Table, one);
    CHECK(o.str() == "+---+\n| é |\n+---+\n| 1 |\n+---+\n\n1 row available after 0 ms, consumed after another 0 ms\n");
}

TEST_CASE("command-line arguments", "[shell]") {
    auto a = parse_arguments({"-a", "bolt://h:1234", "-u", "u", "--password=p", "-d", "foo-replica",
                              "--access-mode", "read", "--format", "plain", "-P", "{a: 1}", "-P", "b => 'x'",
                              "RETURN $a"},
                             no_env);
    REQUIRE(a.ok());
    const ShellOptions& o = a->options;
    CHECK(o.address == "bolt://h:1234");
    CHECK(o.username == "u");
    CHECK(o.password == std::optional<std::string>("p"));
    CHECK(o.database == "foo-replica");
    CHECK(o.read_mode);
    CHECK(o.format == std::optional<Format>(Format::Plain));
    CHECK(o.params.at("a") == Value(int64_t{1}));
    CHECK(o.params.at("b") == Value("x"));
    CHECK(o.query == std::optional<std::string>("RETURN $a"));

    auto env = [](const std::string& k) -> std::optional<std::string> {
        if (k == "NEO4J_URI") {
            return "neo4j://e:1";
        }
        if (k == "NEO4J_DATABASE") {
            return "envdb";
        }
        return std::nullopt;
    };
    auto e = parse_arguments({}, env);
    REQUIRE(e.ok());
    CHECK(e->options.address == "neo4j://e:1");
    CHECK(e->options.database == "envdb");

    CHECK(parse_arguments({"--help"}, no_env)->action == Arguments::Action::Help);
    CHECK(parse_arguments({"--version"}, no_env)->action == Arguments::Action::Version);
    CHECK(usage().find("--access-mode {read,write}") != std::string::npos);
    CHECK(version_line().starts_with("ccdr-shell "));
    CHECK(parse_arguments({"--access-mode", "rw"}, no_env).error().message.find("invalid choice: 'rw'") !=
          std::string::npos);
    CHECK(parse_arguments({"-a"}, no_env).error().message.find("expected one argument") != std::string::npos);
    CHECK(parse_arguments({"--bogus"}, no_env).error().message.find("unrecognized argument: --bogus") !=
          std::string::npos);
    CHECK_FALSE(parse_arguments({"RETURN 1", "RETURN 2"}, no_env).ok());
    CHECK_FALSE(parse_arguments({"-f", "x", "RETURN 1"}, no_env).ok());
    // TLS schemes: +s verifies, +ssc does not; --encryption applies to plain schemes only.
    auto tls = parse_address("neo4j+s://h:1");
    REQUIRE(tls.ok());
    CHECK(tls->routing);
    REQUIRE(tls->tls);
    CHECK(tls->tls->verify);
    auto ssc = parse_address("bolt+ssc://h:1");
    REQUIRE(ssc.ok());
    CHECK_FALSE(ssc->routing);
    REQUIRE(ssc->tls);
    CHECK_FALSE(ssc->tls->verify);
    CHECK_FALSE(parse_address("bolt://h:1")->tls);
    CHECK_FALSE(parse_address("neo4j+x://h:1").ok());
    CHECK(parse_arguments({"-a", "neo4j+s://h:1"}, no_env).ok());
    CHECK(parse_arguments({"-a", "neo4j+s://h:1", "--encryption", "false"}, no_env).error().message.find(
              "sets the encryption by its scheme") != std::string::npos);
    CHECK(parse_arguments({"--encryption", "maybe"}, no_env).error().message.find("invalid choice: 'maybe'") !=
          std::string::npos);
    auto forced = parse_arguments({"-a", "bolt://h:1", "--encryption", "true"}, no_env);
    REQUIRE(forced.ok());
    auto forced_tls = connection_tls(forced->options, parse_address(forced->options.address).value());
    REQUIRE(forced_tls.ok());
    REQUIRE(forced_tls.value());
    CHECK(forced_tls.value()->verify);
    CHECK_FALSE(parse_arguments({"-P", "x => f()"}, no_env).ok());
    // --rate: a positive number, for a query or a file.
    auto paced = parse_arguments({"--rate", "2.5", "-f", "x"}, no_env);
    REQUIRE(paced.ok());
    CHECK(paced->options.rate == std::optional<double>(2.5));
    CHECK_FALSE(parse_arguments({"-f", "x"}, no_env)->options.rate);
    for (const char* bad_rate : {"0", "-3", "fast", "5/s", "inf", "nan", ""}) {
        CAPTURE(bad_rate);
        CHECK(parse_arguments({"--rate", bad_rate, "RETURN 1"}, no_env).error().message.find("argument --rate") !=
              std::string::npos);
    }
    CHECK(parse_arguments({"--rate", "10"}, no_env).error().message.find("paces a Cypher string or --file only") !=
          std::string::npos);

    auto addr = parse_address("neo4j://localhost");
    REQUIRE(addr.ok());
    CHECK(addr->routing);
    CHECK(addr->port == 7687);
    auto bolt = parse_address("bolt://[::1]:7688");
    REQUIRE(bolt.ok());
    CHECK_FALSE(bolt->routing);
    CHECK(bolt->host == "::1");
    CHECK(bolt->host_port() == "[::1]:7688");
    CHECK(parse_address("127.0.0.1:7000")->routing);
    CHECK_FALSE(parse_address("neo4j://h:0").ok());
    CHECK_FALSE(parse_address("http://h:1").ok());
}

namespace {

struct ShellFixture {
    refhost::testing::FakeDbms dbms{3};
    refhost::testing::FakeEngine engine;
    bolt::BoltService service{dbms, engine};
    ShellFixture() {
        REQUIRE(service.start().ok());
        for (size_t i = 0; i < 3; ++i) {
            dbms.member_addresses.push_back(service.address(i));
        }
    }
    ShellOptions options(const std::string& scheme = "bolt", size_t server = 0) {
        ShellOptions o;
        o.address = scheme + "://" + service.address(server);
        o.password = "secret";
        return o;
    }
    struct Run {
        int status;
        std::string out;
        std::string err;
    };
    Run run(ShellOptions o, const std::string& stdin_text = "", Terminal t = {}) {
        std::istringstream in(stdin_text);
        std::ostringstream out;
        std::ostringstream err;
        int status = run_shell(std::move(o), in, out, err, t);
        return {status, normalise_timings(out.str()), err.str()};
    }
};

}  // namespace

TEST_CASE("ccdr-shell runs a query argument, a file and piped stdin", "[shell][server]") {
    ShellFixture f;
    auto o = f.options();
    o.query = "ROWS 2; RETURN $p";
    o.params = Map{{"p", "hello"}};
    o.format = Format::Table;
    auto r = f.run(o);
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "+---+\n| i |\n+---+\n| 1 |\n| 2 |\n+---+\n\n2 rows available after X ms, consumed after another X ms\n"
          "+---------+\n| p       |\n+---------+\n| \"hello\" |\n+---------+\n\n"
          "1 row available after X ms, consumed after another X ms\n");

    std::string path =
        (std::filesystem::temp_directory_path() / ("ccdr-shell-test-" + std::to_string(::getpid()) + ".cypher")).string();
    {
        std::ofstream file(path);
        file << "RETURN 1;\n:param x => [1, 'two']\nRETURN $x;\n";
    }
    auto fo = f.options();
    fo.file = path;
    auto fr = f.run(fo);
    std::remove(path.c_str());
    CHECK(fr.status == 0);
    CHECK(fr.out == "x\n1\nx\n[1, \"two\"]\n");  // plain: stdout is not a terminal

    auto pr = f.run(f.options(), "RETURN 5;\nROWS 1\n");
    CHECK(pr.status == 0);
    CHECK(pr.out == "x\n5\ni\n1\n");
}

TEST_CASE("ccdr-shell --rate spaces the statements of a query", "[shell][server]") {
    ShellFixture f;
    auto o = f.options();
    o.query = "RETURN 1; RETURN 2; RETURN 3; RETURN 4; RETURN 5";
    o.rate = 50.0;  // the fifth statement is due 80 ms after the first
    auto start = std::chrono::steady_clock::now();
    auto r = f.run(o);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.status == 0);
    CHECK(r.out == "x\n1\nx\n2\nx\n3\nx\n4\nx\n5\n");
    CHECK(took >= std::chrono::milliseconds(80));
}

TEST_CASE("ccdr-shell reports errors with the Neo4j code and a non-zero status", "[shell][server]") {
    ShellFixture f;
    auto o = f.options();
    o.query = "RETURN 1; NOT A COMMAND; RETURN 2";
    auto r = f.run(o);
    CHECK(r.status == 1);
    CHECK(r.out == "x\n1\n");  // fail-fast: the third statement does not run
    CHECK(r.err.starts_with("Neo.ClientError.Statement.SyntaxError: Invalid input 'NOT'"));

    o.fail_at_end = true;
    auto all = f.run(o);
    CHECK(all.status == 1);
    CHECK(all.out == "x\n1\nx\n2\n");

    auto bad = f.options();
    bad.password = "wrong";
    bad.query = "RETURN 1";
    auto u = f.run(bad);
    CHECK(u.status == 1);
    CHECK(u.err.starts_with("Neo.ClientError.Security.Unauthorized:"));

    auto down = f.options();
    down.address = "bolt://127.0.0.1:1";
    down.query = "RETURN 1";
    auto d = f.run(down);
    CHECK(d.status == 1);
    CHECK(d.err.starts_with("ServiceUnavailable: Could not connect to 127.0.0.1:1"));

    auto missing = f.options();
    missing.file = "/nonexistent/ccdr-shell-test.cypher";
    auto m = f.run(missing);
    CHECK(m.status == 1);
    CHECK(m.err.find("Failed to read file /nonexistent/ccdr-shell-test.cypher") != std::string::npos);
}

TEST_CASE("ccdr-shell routes by access mode with neo4j://", "[shell][server]") {
    ShellFixture f;
    auto w = f.options("neo4j", 2);  // ask member 2; the writer is member 0
    w.query = "CREATE";
    auto wr = f.run(w);
    CHECK(wr.status == 0);
    CHECK(f.engine.seen().server == 0);
    CHECK(f.engine.seen().mode == AccessMode::Write);

    auto r = f.options("neo4j", 0);
    r.read_mode = true;
    r.query = "RETURN 1";
    auto rr = f.run(r);
    CHECK(rr.status == 0);
    CHECK(f.engine.seen().server == 1);
    CHECK(f.engine.seen().mode == AccessMode::Read);
    CHECK(f.dbms.observed().last_begin_database == "neo4j");

    // A database without a writer: write mode fails as the driver does, read mode works.
    auto rep = f.options("neo4j", 0);
    rep.database = "replica";
    rep.query = "RETURN 1";
    auto fail = f.run(rep);
    CHECK(fail.status == 1);
    CHECK(fail.err.starts_with("SessionExpired: Failed to obtain connection towards write server. Known routing "
                               "table is: RoutingTable[database=replica, expirationTime="));
    CHECK(fail.err.find("writers=[]]") != std::string::npos);
    rep.read_mode = true;
    CHECK(f.run(rep).status == 0);
    CHECK(f.dbms.observed().last_begin_database == "replica");

    auto unknown = f.options("neo4j", 0);
    unknown.database = "nope";
    unknown.query = "RETURN 1";
    auto nf = f.run(unknown);
    CHECK(nf.status == 1);
    CHECK(nf.err.starts_with("Neo.ClientError.Database.DatabaseNotFound:"));

    // Bolt direct to a member that is not the writer: the server decides.
    auto direct = f.options("bolt", 1);
    direct.query = "CREATE";
    auto nl = f.run(direct);
    CHECK(nl.status == 1);
    CHECK(nl.err.starts_with("Neo.ClientError.Cluster.NotALeader:"));
}

TEST_CASE("statements in a session chain bookmarks", "[shell][server]") {
    ShellFixture f;
    auto o = f.options();
    o.query = "CREATE; RETURN 1";
    REQUIRE(f.run(o).status == 0);
    auto bm = f.dbms.observed().last_bookmarks;
    REQUIRE(bm.size() == 1);
    CHECK(bm[0].starts_with("FB:neo4j:"));
}

TEST_CASE("the interactive prompt", "[shell][server]") {
    ShellFixture f;
    auto o = f.options();
    o.format = Format::Table;
    auto r = f.run(o, "RETURN\n 3;\nNOT VALID;\n:use foo\n:params\n:param a => 1\n:params\n:bogus\n:exit\nRETURN 4;\n",
                   Terminal{true, true});
    CHECK(r.status == 0);
    CHECK(r.out.starts_with("Connected to Neo4j using Bolt protocol version 5.8 at bolt://"));
    CHECK(r.out.find("neo4j@neo4j> ") != std::string::npos);
    CHECK(r.out.find("            > ") != std::string::npos);  // continuation
    CHECK(r.out.find("| 3 |") != std::string::npos);
    CHECK(r.out.find("neo4j@foo> ") != std::string::npos);
    CHECK(r.out.find(":param a => 1") != std::string::npos);
    CHECK(r.out.find("| 4 |") == std::string::npos);  // after :exit
    CHECK(r.err.find("Neo.ClientError.Statement.SyntaxError") != std::string::npos);
    CHECK(r.err.find("Could not find command :bogus") != std::string::npos);
}
