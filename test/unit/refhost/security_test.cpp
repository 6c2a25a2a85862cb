// Users, roles and privileges of an in-process cluster: the Cypher user and
// role commands through the real engine, what each built-in role may do
// with data (Neo4j's codes and messages, nothing changed on a refusal), and
// changes taking effect at once for every server and open session.
#include "cypher/engine.hpp"
#include "cypher/parse_cache.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

// The server of the database's writer (server 0 for system).
constexpr size_t kWriter = static_cast<size_t>(-1);

struct Fixture {
    // Two servers, each with a member of the default database.
    TempHome home{2, {"initial.dbms.default_primaries_count=2"}};
    std::unique_ptr<Cluster> cluster = home.open_cluster();
    std::unique_ptr<cypher::Engine> engine = cypher::make_engine();

    // Runs `query` as `user` on server `server`, in its own transaction on
    // `database` (none for system), committed when it succeeds.
    Outcome<cypher::QueryResult> run(const AuthUser& user, std::string_view query, const std::string& database = "system",
                                     size_t server = kWriter, const Map& params = {}) {
        std::unique_ptr<Transaction> tx;
        if (server == kWriter) {
            auto db = cluster->database(database);
            server = database != "system" && db && db->writer() ? db->writer()->server() : 0;
        }
        if (database != "system") {
            auto t = cluster->begin(server, database, AccessMode::Write, user, {}, std::chrono::milliseconds(2000));
            if (!t) {
                return t.error();
            }
            tx = std::move(t.value());
        }
        cypher::QueryContext ctx{*cluster, server, user, database, AccessMode::Write, tx.get()};
        auto r = engine->run(query, params, ctx);
        if (r && tx) {
            auto c = tx->commit();
            if (!c) {
                return c.error();
            }
        }
        return r;
    }

    cypher::QueryResult ok(const AuthUser& user, std::string_view query, const std::string& database = "system",
                           size_t server = kWriter, const Map& params = {}) {
        auto r = run(user, query, database, server, params);
        INFO("query: " << query);
        INFO("error: " << (r ? std::string() : r.error().code + ": " + r.error().message));
        REQUIRE(r.ok());
        return std::move(r.value());
    }

    Error fails(const AuthUser& user, std::string_view query, const std::string& database = "system",
                size_t server = kWriter, const Map& params = {}) {
        auto r = run(user, query, database, server, params);
        INFO("query: " << query);
        REQUIRE_FALSE(r.ok());
        return r.error();
    }

    AuthUser login(const std::string& name, const std::string& password) {
        auto u = cluster->authenticate("basic", name, password);
        INFO(name << ": " << (u ? std::string() : u.error().message));
        REQUIRE(u.ok());
        return u.value();
    }

    int64_t count(const std::string& label, const std::string& database = "neo4j") {
        auto tx = cluster->begin(0, database, AccessMode::Read, admin(), {}, std::chrono::milliseconds(2000));
        REQUIRE(tx.ok());
        return tx.value()->graph().count_nodes(label);
    }

    // A user with `role` (none: PUBLIC only) and password "password-1".
    AuthUser make_user(const std::string& name, const std::string& role) {
        ok(admin(), "CREATE USER " + name + " SET PASSWORD 'password-1' CHANGE NOT REQUIRED");
        if (!role.empty()) {
            ok(admin(), "GRANT ROLE " + role + " TO " + name);
        }
        return login(name, "password-1");
    }
};

std::vector<std::string> column(const cypher::QueryResult& r, size_t i) {
    std::vector<std::string> out;
    for (const auto& row : r.rows) {
        out.push_back(row[i].is<std::string>() ? row[i].as<std::string>() : "null");
    }
    return out;
}

}  // namespace

TEST_CASE("a reader reads and is refused every write with Neo4j's message, nothing changed", "[refhost][security]") {
    Fixture f;
    f.ok(admin(), "CREATE (:Person {name: 'Ada'})-[:KNOWS]->(:Person {name: 'Bob'})", "neo4j");
    AuthUser reader = f.make_user("alice", "reader");
    CHECK(f.ok(reader, "MATCH (p:Person) RETURN count(p) AS n", "neo4j").rows[0][0] == Value(int64_t{2}));

    const std::string who = " on database 'neo4j' is not allowed for user 'alice' with roles [PUBLIC, reader].";
    struct Case {
        const char* query;
        std::string message;
    } cases[] = {
        {"CREATE (:Person:Admin {name: 'Eve'})", "Create node with labels 'Person,Admin'" + who},
        {"MATCH (a:Person {name: 'Ada'}), (b:Person {name: 'Bob'}) CREATE (a)-[:LIKES]->(b)",
         "Create relationship with type 'LIKES'" + who},
        {"MATCH (p:Person {name: 'Ada'}) SET p.age = 36", "Set property for property 'age'" + who},
        {"MATCH (p:Person {name: 'Ada'}) SET p = {}", "Set property for property 'name'" + who},
        {"MATCH (p:Person {name: 'Ada'}) SET p:Admin", "Set label for label 'Admin'" + who},
        {"MATCH (p:Person {name: 'Ada'}) REMOVE p:Person", "Remove label for label 'Person'" + who},
        {"MATCH (p:Person {name: 'Ada'}) DETACH DELETE p", "Delete node with labels 'Person'" + who},
        {"MATCH ()-[r:KNOWS]->() DELETE r", "Delete relationship with type 'KNOWS'" + who},
    };
    for (const auto& c : cases) {
        Error e = f.fails(reader, c.query, "neo4j");
        INFO(c.query);
        CHECK(e.code == "Neo.ClientError.Security.Forbidden");
        CHECK(e.gql_status == "42NFF");
        CHECK(e.message == c.message);
    }
    // Nothing changed: the same two people, one relationship, no new label.
    CHECK(f.count("Person") == 2);
    CHECK(f.count("Admin") == 0);
    CHECK(f.ok(admin(), "MATCH ()-[r]->() RETURN count(r) AS n", "neo4j").rows[0][0] == Value(int64_t{1}));
    CHECK(f.ok(admin(), "MATCH (p:Person {name: 'Ada'}) RETURN p.age AS age", "neo4j").rows[0][0].is_null());
}

TEST_CASE("the write privilege is checked before the READ access mode and the writer check", "[refhost][security]") {
    Fixture f;
    AuthUser reader = f.make_user("alice", "reader");
    // READ transaction: Forbidden, not AccessMode.
    auto tx = f.cluster->begin(0, "neo4j", AccessMode::Read, reader, {}, std::chrono::milliseconds(2000));
    REQUIRE(tx.ok());
    cypher::QueryContext ctx{*f.cluster, 0, reader, "neo4j", AccessMode::Read, tx.value().get()};
    auto r = f.engine->run("CREATE (:X)", {}, ctx);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "Neo.ClientError.Security.Forbidden");
    // An editor in a READ transaction still gets AccessMode.
    AuthUser editor = f.make_user("ed", "editor");
    auto etx = f.cluster->begin(0, "neo4j", AccessMode::Read, editor, {}, std::chrono::milliseconds(2000));
    REQUIRE(etx.ok());
    cypher::QueryContext ectx{*f.cluster, 0, editor, "neo4j", AccessMode::Read, etx.value().get()};
    auto er = f.engine->run("CREATE (:X)", {}, ectx);
    REQUIRE_FALSE(er.ok());
    CHECK(er.error().code == "Neo.ClientError.Statement.AccessMode");
    // On a member that is not the writer: Forbidden for the reader, NotALeader for the editor.
    size_t follower = f.cluster->database("neo4j")->writer()->server() == 0 ? 1 : 0;
    CHECK(f.fails(reader, "CREATE (:X)", "neo4j", follower).code == "Neo.ClientError.Security.Forbidden");
    CHECK(f.fails(editor, "CREATE (:X)", "neo4j", follower).code == "Neo.ClientError.Cluster.NotALeader");
    CHECK(f.count("X") == 0);
}

TEST_CASE("editor, publisher, architect and admin write, PUBLIC alone sees the default database only",
          "[refhost][security]") {
    Fixture f;
    f.ok(admin(), "CREATE (:Seen)", "neo4j");
    for (const char* role : {"editor", "publisher", "architect", "admin"}) {
        AuthUser u = f.make_user(std::string("u_") + role, role);
        f.ok(u, "CREATE (:Written)", "neo4j");
    }
    CHECK(f.count("Written") == 4);

    AuthUser nobody = f.make_user("nobody", "");
    CHECK(nobody.roles == std::vector<std::string>{"PUBLIC"});
    // No read privilege: the default database looks empty; writes are refused.
    CHECK(f.ok(nobody, "MATCH (n) RETURN count(n) AS n", "neo4j").rows[0][0] == Value(int64_t{0}));
    Error w = f.fails(nobody, "CREATE (:Nope)", "neo4j");
    CHECK(w.message ==
          "Create node with labels 'Nope' on database 'neo4j' is not allowed for user 'nobody' with roles [PUBLIC].");
    // Another database: no access at all.
    f.ok(admin(), "CREATE DATABASE other");
    Error a = f.fails(nobody, "RETURN 1", "other");
    CHECK(a.code == "Neo.ClientError.Security.Forbidden");
    CHECK(a.message == "Database access is not allowed for user 'nobody' with roles [PUBLIC].");
    // SHOW DATABASES lists what the user may access.
    auto names = column(f.ok(nobody, "SHOW DATABASES YIELD name"), 0);
    CHECK(std::count(names.begin(), names.end(), "other") == 0);
    CHECK(std::count(names.begin(), names.end(), "neo4j") >= 1);
    // Administration and admin procedures need admin.
    AuthUser reader = f.make_user("r", "reader");
    CHECK(f.fails(reader, "CREATE DATABASE nope").message.rfind("Permission denied for CREATE DATABASE.", 0) == 0);
    CHECK(f.fails(reader, "SHOW USERS").message.rfind("Permission denied for SHOW USER.", 0) == 0);
    CHECK(f.fails(reader, "CREATE USER x SET PASSWORD 'password-1'").message.rfind(
              "Permission denied for CREATE USER.", 0) == 0);
    CHECK(f.fails(reader, "GRANT ROLE admin TO r").message.rfind("Permission denied for ASSIGN ROLE.", 0) == 0);
    CHECK(f.fails(reader, "SHOW ROLES WITH USERS").message.rfind(
              "Permission denied for SHOW ROLE and/or SHOW USER.", 0) == 0);
    CHECK(f.login("r", "password-1").roles.size() == 2);  // still a reader: nothing was granted
}

TEST_CASE("CREATE USER, SHOW USERS, GRANT and REVOKE ROLE, SHOW ROLES", "[refhost][security]") {
    Fixture f;
    auto r = f.ok(admin(), "CREATE USER bob SET PLAINTEXT PASSWORD 'bob-password' CHANGE NOT REQUIRED");
    CHECK(r.type == "s");
    CHECK(r.system_updates == 1);
    f.ok(admin(), "CREATE USER carol SET PASSWORD $pw", "system", 0, Map{{"pw", Value("carol-password")}});
    f.ok(admin(), "GRANT ROLES reader, editor TO bob, carol");
    f.ok(admin(), "REVOKE ROLE editor FROM carol");

    auto users = f.ok(admin(), "SHOW USERS");
    CHECK(users.columns == std::vector<std::string>{"user", "roles", "passwordChangeRequired", "suspended", "home"});
    REQUIRE(users.rows.size() == 3);
    CHECK(users.rows[0][0] == Value("bob"));
    CHECK(users.rows[0][1] == Value(List{Value("PUBLIC"), Value("editor"), Value("reader")}));
    CHECK(users.rows[0][2] == Value(false));
    CHECK(users.rows[1][0] == Value("carol"));
    CHECK(users.rows[1][1] == Value(List{Value("PUBLIC"), Value("reader")}));
    CHECK(users.rows[1][2] == Value(true));  // CHANGE REQUIRED is the default
    CHECK(users.rows[2][0] == Value("neo4j"));

    auto roles = f.ok(admin(), "SHOW ROLES");
    CHECK(column(roles, 0) == std::vector<std::string>{"PUBLIC", "admin", "architect", "editor", "publisher", "reader"});
    auto populated = f.ok(admin(), "SHOW POPULATED ROLES WITH USERS YIELD role, member WHERE role <> 'PUBLIC'");
    CHECK(column(populated, 0) == std::vector<std::string>{"admin", "editor", "reader", "reader"});
    CHECK(column(populated, 1) == std::vector<std::string>{"neo4j", "bob", "bob", "carol"});
    auto with_users = f.ok(admin(), "SHOW ROLES WITH USERS WHERE role = 'architect'");
    REQUIRE(with_users.rows.size() == 1);
    CHECK(with_users.rows[0][1].is_null());

    // Granting what is there, revoking what is not: no change.
    CHECK(f.ok(admin(), "GRANT ROLE reader TO bob").system_updates == 0);
    CHECK(f.ok(admin(), "REVOKE ROLE admin FROM bob").system_updates == 0);
    CHECK(f.ok(admin(), "CREATE USER bob IF NOT EXISTS SET PASSWORD 'whatever-1'").system_updates == 0);
    f.login("bob", "bob-password");  // the IF NOT EXISTS left the password alone

    // SHOW CURRENT USER needs no privilege.
    AuthUser carol = f.login("carol", "carol-password");
    CHECK(carol.credentials_expired);
}

TEST_CASE("bad input to the user commands: clear errors, nothing changed", "[refhost][security]") {
    Fixture f;
    f.ok(admin(), "CREATE USER bob SET PASSWORD 'bob-password' CHANGE NOT REQUIRED");
    uint64_t before = f.cluster->system_db().system_tx();
    struct Case {
        const char* query;
        const char* code;
        const char* gql;
        const char* message;
    } cases[] = {
        {"CREATE USER weak SET PASSWORD ''", "Neo.ClientError.Statement.ArgumentError", "22N05",
         "A password cannot be empty."},
        {"CREATE USER weak SET PASSWORD 'short'", "Neo.ClientError.Statement.ArgumentError", "22N05",
         "A password must be at least 8 characters."},
        {"CREATE USER bob SET PASSWORD 'another-password'", "Neo.ClientError.General.InvalidArguments", "42N12",
         "Failed to create the specified user 'bob': User already exists."},
        {"CREATE USER `a b` SET PASSWORD 'password-1'", "Neo.ClientError.General.InvalidArguments", "22N05",
         "Username 'a b' contains illegal characters. Use ascii characters that are not ',', ':' or whitespaces."},
        {"GRANT ROLE god TO bob", "Neo.ClientError.General.InvalidArguments", "42N10",
         "Failed to grant role 'god' to user 'bob': Role does not exist."},
        {"GRANT ROLE reader, god TO bob", "Neo.ClientError.General.InvalidArguments", "42N10",
         "Failed to grant role 'god' to user 'bob': Role does not exist."},
        {"GRANT ROLE reader TO nobody", "Neo.ClientError.General.InvalidArguments", "42N09",
         "Failed to grant role 'reader' to user 'nobody': User does not exist."},
        {"REVOKE ROLE PUBLIC FROM bob", "Neo.ClientError.General.InvalidArguments", "50N42",
         "Failed to revoke role 'PUBLIC' from user 'bob': The PUBLIC role cannot be revoked."},
        {"DROP USER neo4j", "Neo.ClientError.Statement.ArgumentError", "22G03",
         "Failed to delete the specified user 'neo4j': Deleting yourself is not allowed."},
        {"DROP USER nobody", "Neo.ClientError.General.InvalidArguments", "42N09",
         "Failed to delete the specified user 'nobody': User does not exist."},
        {"ALTER USER nobody SET PASSWORD 'password-1'", "Neo.ClientError.General.InvalidArguments", "42N09",
         "Failed to alter the specified user 'nobody': User does not exist."},
        {"ALTER USER bob SET PASSWORD 'bob-password'", "Neo.ClientError.Statement.ArgumentError", "22N05",
         "Failed to alter the specified user 'bob': Old password and new password cannot be the same."},
    };
    for (const auto& c : cases) {
        Error e = f.fails(admin(), c.query);
        INFO(c.query);
        CHECK(e.code == c.code);
        CHECK(e.gql_status == c.gql);
        CHECK(e.message == c.message);
    }
    CHECK(f.cluster->system_db().system_tx() == before);
    auto users = f.ok(admin(), "SHOW USERS YIELD user, roles");
    REQUIRE(users.rows.size() == 2);
    CHECK(users.rows[0][1] == Value(List{Value("PUBLIC")}));  // bob: no role was granted
    // Syntax outside the subset is refused by name.
    Error custom = f.fails(admin(), "CREATE ROLE auditor");
    CHECK(custom.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK(custom.message.find("built-in roles only") != std::string::npos);
    CHECK(f.fails(admin(), "GRANT TRAVERSE ON GRAPH * TO reader").message.find("grants and revokes roles only") !=
          std::string::npos);
    // A parameter that is not a string names its type, never its value.
    Error p = f.fails(admin(), "CREATE USER x SET PASSWORD $pw", "system", 0, Map{{"pw", Value(int64_t{12345678})}});
    CHECK(p.code == "Neo.ClientError.Statement.TypeError");
    CHECK(p.message == "Only STRING values are accepted as password, got: INTEGER");
}

TEST_CASE("user changes take effect at once on every server and in open sessions", "[refhost][security]") {
    Fixture f;
    const size_t writer = f.cluster->database("neo4j")->writer()->server();
    const size_t other = 1 - writer;
    // Created through one server, used on the other without a restart.
    f.ok(admin(), "CREATE USER dave SET PASSWORD 'dave-password' CHANGE NOT REQUIRED", "system", other);
    AuthUser dave = f.login("dave", "dave-password");
    CHECK(f.fails(dave, "CREATE (:Before)", "neo4j", writer).code == "Neo.ClientError.Security.Forbidden");
    // Granted through the other server: dave's session (still holding its
    // login) writes at its next transaction.
    f.ok(admin(), "GRANT ROLE editor TO dave", "system", other);
    auto now = f.cluster->current_user(dave);
    REQUIRE(now.ok());
    CHECK(now->roles == std::vector<std::string>{"editor", "PUBLIC"});
    f.ok(now.value(), "CREATE (:After)", "neo4j", writer);
    CHECK(f.count("After") == 1);
    // A new password: the old one stops working everywhere.
    f.ok(admin(), "ALTER USER dave SET PASSWORD 'dave-password-2' CHANGE NOT REQUIRED");
    CHECK_FALSE(f.cluster->authenticate("basic", "dave", "dave-password").ok());
    f.login("dave", "dave-password-2");
    // Dropped: the open session's next transaction is refused.
    f.ok(admin(), "DROP USER dave");
    auto gone = f.cluster->current_user(now.value());
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == "Neo.ClientError.Security.Unauthorized");
    CHECK(f.ok(admin(), "DROP USER dave IF EXISTS").system_updates == 0);
}

TEST_CASE("a required password change: only ALTER CURRENT USER runs until it is done", "[refhost][security]") {
    Fixture f;
    f.ok(admin(), "CREATE USER erin SET PASSWORD 'first-password'");
    f.ok(admin(), "GRANT ROLE reader TO erin");
    AuthUser erin = f.login("erin", "first-password");
    REQUIRE(erin.credentials_expired);
    Error e = f.fails(erin, "RETURN 1");
    CHECK(e.code == "Neo.ClientError.Security.CredentialsExpired");
    CHECK(e.message.rfind("Permission denied.\n\nThe credentials you provided were valid", 0) == 0);
    CHECK_FALSE(f.cluster->begin(0, "neo4j", AccessMode::Read, erin, {}, std::chrono::milliseconds(100)).ok());

    Error wrong = f.fails(erin, "ALTER CURRENT USER SET PASSWORD FROM 'not-it-at-all' TO 'second-password'");
    CHECK(wrong.message == "User 'erin' failed to alter their own password: Invalid principal or credentials.");
    Error same = f.fails(erin, "ALTER CURRENT USER SET PASSWORD FROM 'first-password' TO 'first-password'");
    CHECK(same.message == "User 'erin' failed to alter their own password: Old password and new password cannot be "
                          "the same.");
    Error weak = f.fails(erin, "ALTER CURRENT USER SET PASSWORD FROM 'first-password' TO 'tiny'");
    CHECK(weak.message == "A password must be at least 8 characters.");

    f.ok(erin, "ALTER CURRENT USER SET PASSWORD FROM 'first-password' TO 'second-password'");
    auto now = f.cluster->current_user(erin);
    REQUIRE(now.ok());
    CHECK_FALSE(now->credentials_expired);
    CHECK(f.ok(now.value(), "RETURN 1 AS one").rows.size() == 1);
    CHECK(f.ok(now.value(), "SHOW CURRENT USER YIELD user, passwordChangeRequired").rows[0][1] == Value(false));
    CHECK_FALSE(f.cluster->authenticate("basic", "erin", "first-password").ok());
}

TEST_CASE("passwords appear in no log line", "[refhost][security]") {
    Fixture f;
    f.ok(admin(), "CREATE USER frank SET PASSWORD 'Secret-Frank-1'");
    f.ok(admin(), "ALTER USER frank SET PASSWORD 'Secret-Frank-2' CHANGE NOT REQUIRED");
    (void)f.fails(admin(), "ALTER USER frank SET PASSWORD 'Secret-Frank-2'");
    AuthUser frank = f.login("frank", "Secret-Frank-2");
    f.ok(frank, "ALTER CURRENT USER SET PASSWORD FROM 'Secret-Frank-2' TO 'Secret-Frank-3'");
    f.cluster->log().flush();
    std::ifstream in(f.home.path() / "logs" / "debug.log");
    std::stringstream text;
    text << in.rdbuf();
    // The changes are logged (who did what), the passwords are not.
    CHECK(text.str().find("security: user 'frank' created by 'neo4j'") != std::string::npos);
    CHECK(text.str().find("security: user 'frank' changed their own password") != std::string::npos);
    CHECK(text.str().find("Secret-Frank") == std::string::npos);
}

TEST_CASE("a statement with a password is never kept by the parse cache", "[refhost][security]") {
    cypher::ParseCache cache;
    cache.get("CREATE USER x SET PASSWORD 'kept-nowhere-1'");
    cache.get("ALTER CURRENT USER SET PASSWORD FROM 'a-secret-one' TO 'a-secret-two'");
    CHECK(cache.size() == 0);
    cache.get("RETURN 1");
    CHECK(cache.size() == 1);
}

TEST_CASE("many sessions log in and re-read their roles while roles change", "[refhost][security]") {
    Fixture f;
    constexpr int kUsers = 20;
    for (int i = 0; i < kUsers; ++i) {
        f.ok(admin(), "CREATE USER c" + std::to_string(i) + " SET PASSWORD 'password-" + std::to_string(i) +
                          "' CHANGE NOT REQUIRED");
    }
    // 200 sessions (10 per user) keep logging in and refreshing, while an
    // administrator grants and revokes editor for every user 20 times.
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<long> refreshes{0};
    std::vector<std::thread> sessions;
    for (int s = 0; s < 200; ++s) {
        sessions.emplace_back([&, s] {
            const std::string name = "c" + std::to_string(s % kUsers);
            auto user = f.cluster->authenticate("basic", name, "password-" + std::to_string(s % kUsers));
            if (!user) {
                ++failures;
                return;
            }
            AuthUser u = user.value();
            while (!stop.load()) {
                auto now = f.cluster->current_user(u);
                if (!now || now->name != name) {
                    ++failures;
                    return;
                }
                u = now.value();
                ++refreshes;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a session's next transaction
            }
        });
    }
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < kUsers; ++i) {
            f.ok(admin(), (round % 2 == 0 ? "GRANT ROLE editor TO c" : "REVOKE ROLE editor FROM c") + std::to_string(i));
        }
    }
    stop = true;
    for (auto& t : sessions) {
        t.join();
    }
    CHECK(failures.load() == 0);
    CHECK(refreshes.load() > 200);
    // The last round revoked: every user is back to PUBLIC only.
    auto rows = f.ok(admin(), "SHOW USERS YIELD user, roles WHERE user STARTS WITH 'c'");
    REQUIRE(rows.rows.size() == kUsers);
    for (const auto& row : rows.rows) {
        CHECK(row[1] == Value(List{Value("PUBLIC")}));
    }
}
