// test/support/bolt_fakes.cpp: the fake DBMS and engine (see the header).
#include "support/bolt_fakes.hpp"

#include "bolt/query_kind.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

namespace refhost::testing {

// ------------------------------------------------------------- graph ---

std::optional<Node> FakeGraph::node(int64_t id) {
    for (const auto& n : created_) {
        if (n.id == id) {
            return n;
        }
    }
    return std::nullopt;
}

Done FakeGraph::may_write() {
    if (server_ != dbms_.writer_server) {
        return make_error(status::kNotALeader,
                          "No write operations are allowed directly on this database. Writes must pass through the "
                          "leader. The role of this server is: FOLLOWER");
    }
    return done();
}

Outcome<Node> FakeGraph::create_node(std::vector<std::string> labels, Map properties) {
    auto ok = may_write();
    if (!ok) {
        return ok.error();
    }
    Node n;
    n.id = dbms_.next_node_id();
    n.labels = std::move(labels);
    n.properties = std::move(properties);
    n.element_id = "4:fake:" + std::to_string(n.id);
    created_.push_back(n);
    ++stats_.nodes_created;
    stats_.labels_added += static_cast<int64_t>(n.labels.size());
    stats_.properties_set += static_cast<int64_t>(n.properties.size());
    return n;
}

namespace {
Error unsupported() { return make_error(status::kSyntaxError, "not supported by the fake graph"); }
}  // namespace

Outcome<Relationship> FakeGraph::create_relationship(int64_t, int64_t, std::string, Map) { return unsupported(); }
Done FakeGraph::set_node_property(int64_t, const std::string&, const Value&) { return unsupported(); }
Done FakeGraph::set_relationship_property(int64_t, const std::string&, const Value&) { return unsupported(); }
Done FakeGraph::replace_node_properties(int64_t, Map) { return unsupported(); }
Done FakeGraph::replace_relationship_properties(int64_t, Map) { return unsupported(); }
Done FakeGraph::add_labels(int64_t, const std::vector<std::string>&) { return unsupported(); }
Done FakeGraph::remove_labels(int64_t, const std::vector<std::string>&) { return unsupported(); }
Done FakeGraph::delete_node(int64_t, bool) { return unsupported(); }
Done FakeGraph::delete_relationship(int64_t) { return unsupported(); }

// ------------------------------------------------------- transaction ---

FakeTransaction::~FakeTransaction() {
    if (!finished_) {
        dbms_.count_rollback();
    }
    dbms_.release_lock(this);
}

Outcome<std::string> FakeTransaction::commit() {
    finished_ = true;
    dbms_.release_lock(this);
    dbms_.count_commit();
    return "FB:" + db_ + ":" + std::to_string(dbms_.next_tx_id());
}

void FakeTransaction::rollback() {
    if (!finished_) {
        finished_ = true;
        dbms_.count_rollback();
    }
    dbms_.release_lock(this);
}

Outcome<Transaction::Reservation> FakeTransaction::reserve_write() {
    if (mode_ == AccessMode::Read) {
        return Reservation::Ready;  // the write reports AccessMode itself
    }
    return dbms_.lock_for(this) ? Reservation::Ready : Reservation::Waiting;
}

bool FakeTransaction::holds_write_lock() const { return dbms_.lock_held_by(this); }

// ------------------------------------------------------------- lock ---

bool FakeDbms::lock_for(FakeTransaction* tx) {
    std::lock_guard<std::mutex> l(lock_mu_);
    if (lock_holder_ == tx) {
        return true;
    }
    if (lock_holder_ == nullptr && lock_queue_.empty()) {
        lock_holder_ = tx;
        ++lock_grants_;
        return true;
    }
    if (std::find(lock_queue_.begin(), lock_queue_.end(), tx) == lock_queue_.end()) {
        lock_queue_.push_back(tx);
    }
    return false;
}

bool FakeDbms::lock_held_by(const FakeTransaction* tx) const {
    std::lock_guard<std::mutex> l(lock_mu_);
    return lock_holder_ == tx;
}

void FakeDbms::release_lock(FakeTransaction* tx) {
    FakeTransaction* next = nullptr;
    {
        std::lock_guard<std::mutex> l(lock_mu_);
        if (lock_holder_ != tx) {
            lock_queue_.erase(std::remove(lock_queue_.begin(), lock_queue_.end(), tx), lock_queue_.end());
            return;
        }
        lock_holder_ = nullptr;
        if (!lock_queue_.empty()) {
            next = lock_queue_.front();
            lock_queue_.pop_front();
            lock_holder_ = next;
            ++lock_grants_;
        }
    }
    if (next != nullptr) {
        next->wake();
    }
}

size_t FakeDbms::lock_waiters() const {
    std::lock_guard<std::mutex> l(lock_mu_);
    return lock_queue_.size();
}

int FakeDbms::lock_grants() const {
    std::lock_guard<std::mutex> l(lock_mu_);
    return lock_grants_;
}

// -------------------------------------------------------------- dbms ---

Outcome<AuthUser> FakeDbms::authenticate(const std::string& scheme, const std::string& principal,
                                         const std::string& credentials) {
    if (scheme == "none") {
        if (auth_enabled_) {
            return make_error(status::kUnauthorized,
                              "The client is unauthorized due to authentication failure.");
        }
        return AuthUser{"", {"admin", "PUBLIC"}};
    }
    if (credentials == "secret" && (principal == "neo4j" || principal == "reader")) {
        if (principal == "neo4j") {
            return AuthUser{principal, {"admin", "PUBLIC"}};
        }
        return AuthUser{principal, {"reader", "PUBLIC"}};
    }
    return make_error(status::kUnauthorized,
                      "The client is unauthorized due to authentication failure.");
}

Outcome<std::unique_ptr<Transaction>> FakeDbms::begin(size_t server, const std::string& database, AccessMode mode,
                                                      const AuthUser&, const std::vector<std::string>& bookmarks,
                                                      std::chrono::milliseconds, const TxOptions& options) {
    std::lock_guard<std::mutex> l(mu_);
    if (observed_.databases.count(database) == 0) {
        return make_error(status::kDatabaseNotFound,
                          "Database does not exist. Database name: '" + database + "'.");
    }
    observed_.last_bookmarks = bookmarks;
    observed_.last_begin_database = database;
    observed_.last_begin_mode = mode;
    ++observed_.begins;
    return std::unique_ptr<Transaction>(
        std::make_unique<FakeTransaction>(*this, server, database, mode, options.wake));
}

Done FakeDbms::create_database(const std::string& name, bool, std::optional<TopologyRequest>, bool) {
    std::lock_guard<std::mutex> l(mu_);
    observed_.databases.insert(name);
    return done();
}

Outcome<std::vector<DatabaseRow>> FakeDbms::show_databases(size_t, const std::optional<std::string>&,
                                                           const AuthUser&) {
    std::vector<DatabaseRow> rows;
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& db : observed_.databases) {
        DatabaseRow r;
        r.name = db;
        r.type = db == "system" ? "system" : "standard";
        r.writer = true;
        rows.push_back(r);
    }
    return rows;
}

Outcome<RoutingTable> FakeDbms::routing_table(size_t, const std::string& database) {
    std::string db = database.empty() ? default_database() : database;
    {
        std::lock_guard<std::mutex> l(mu_);
        if (observed_.databases.count(db) == 0) {
            return make_error(status::kDatabaseNotFound,
                              "Database does not exist. Database name: '" + db + "'.");
        }
    }
    std::vector<std::string> members = member_addresses;
    if (members.empty()) {
        members = {"127.0.0.1:7687", "127.0.0.1:7688", "127.0.0.1:7689"};
    }
    RoutingTable t;
    t.database = db;
    if (db != "replica") {
        t.writers = {members[0]};
    } else {
        t.readers.push_back(members[0]);
    }
    t.readers.insert(t.readers.end(), members.begin() + 1, members.end());
    t.routers = members;
    return t;
}

Outcome<std::vector<std::string>> FakeDbms::call_plugin_procedure(size_t, const std::string& name, const List&,
                                                                  const AuthUser&, const std::string&,
                                                                  const RowSink&) {
    return make_error(status::kProcedureNotFound,
                      "There is no procedure with the name `" + name + "` registered for this database instance.");
}

// ------------------------------------------------------------ engine ---

Node sample_node(int64_t id) {
    return Node{id, {"Person"}, Map{{"name", "n" + std::to_string(id)}}, "4:fake:" + std::to_string(id)};
}

Relationship sample_relationship() {
    return Relationship{7, 1, 2, "KNOWS", Map{{"since", int64_t{2020}}}, "5:fake:7", "4:fake:1", "4:fake:2"};
}

Path sample_path() {
    Path p;
    p.nodes = {sample_node(1), sample_node(2), sample_node(3)};
    Relationship back{8, 3, 2, "LIKES", {}, "5:fake:8", "4:fake:3", "4:fake:2"};
    p.relationships = {sample_relationship(), back};
    return p;
}

bool FakeEngine::updates_graph(std::string_view query) {
    std::istringstream in{std::string(query)};
    std::string word, second;
    in >> word >> second;
    return word == "CREATE" && second.empty();
}

Outcome<cypher::QueryResult> FakeEngine::run(std::string_view query, const Map& parameters,
                                             cypher::QueryContext& ctx) {
    {
        std::lock_guard<std::mutex> l(mu_);
        seen_.database = ctx.database;
        seen_.mode = ctx.mode;
        seen_.had_tx = ctx.tx != nullptr;
        seen_.server = ctx.server;
        ++seen_.runs;
    }
    std::istringstream in{std::string(query)};
    std::string word;
    in >> word;
    cypher::QueryResult r;
    auto admin = bolt::administration_command(query);
    if (admin) {
        if (ctx.tx != nullptr || ctx.database != "system") {
            return make_error(status::kNotSystemDatabase, "administration outside system");
        }
        r.type = "s";
        if (*admin == "SHOW DATABASES") {
            auto rows = ctx.dbms.show_databases(ctx.server, std::nullopt, ctx.user);
            if (!rows) {
                return rows.error();
            }
            r.columns = {"name", "type"};
            for (const auto& row : rows.value()) {
                r.rows.push_back(List{row.name, row.type});
            }
            return r;
        }
        if (*admin == "CREATE DATABASE") {
            if (!ctx.user.is_admin()) {
                return make_error(status::kForbidden, "Permission denied for CREATE DATABASE.");
            }
            std::string name;
            in >> name >> name;
            auto ok = ctx.dbms.create_database(name, false, std::nullopt, true);
            if (!ok) {
                return ok.error();
            }
            r.contains_system_updates = true;
            r.system_updates = 1;
            return r;
        }
    }
    if (ctx.tx == nullptr && ctx.database != "system") {
        return make_error(status::kUnknownError, "the fake engine needs a transaction");
    }
    if (word == "RETURN") {
        std::string arg;
        in >> arg;
        if (!arg.empty() && arg[0] == '$') {
            std::string name = arg.substr(1);
            auto it = parameters.find(name);
            if (it == parameters.end()) {
                return make_error(status::kParameterMissing, "Expected parameter(s): " + name);
            }
            r.columns = {name};
            r.rows.push_back(List{it->second});
            return r;
        }
        r.columns = {"x"};
        r.rows.push_back(List{int64_t{std::stoll(arg)}});
        return r;
    }
    if (word == "ROWS") {
        int64_t n = 0;
        in >> n;
        r.columns = {"i"};
        for (int64_t i = 1; i <= n; ++i) {
            r.rows.push_back(List{i});
        }
        return r;
    }
    if (word == "CREATE") {
        if (ctx.mode == AccessMode::Read) {
            return make_error(status::kAccessMode,
                              "Writing in read access mode not allowed. Attempted write to " + ctx.database);
        }
        auto n = ctx.tx->graph().create_node({"Fake"}, Map{{"k", int64_t{1}}});
        if (!n) {
            return n.error();
        }
        r.type = "w";
        r.columns = {"n"};
        r.rows.push_back(List{n.value()});
        r.stats = ctx.tx->graph().stats();
        r.contains_updates = true;
        return r;
    }
    if (word == "GRAPH") {
        r.columns = {"n", "r", "p"};
        r.rows.push_back(List{sample_node(1), sample_relationship(), sample_path()});
        return r;
    }
    if (word == "SLEEP") {
        int64_t ms = 0;
        in >> ms;
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        r.columns = {"slept"};
        r.rows.push_back(List{ms});
        return r;
    }
    if (word == "FAIL") {
        std::string code;
        in >> code;
        std::string message;
        std::getline(in, message);
        return Error{code, message.empty() ? message : message.substr(1), gql_status_for(code)};
    }
    return make_error(status::kSyntaxError,
                      "Invalid input '" + word + "': expected a fake command (line 1, column 1 (offset: 0))");
}

}  // namespace refhost::testing
