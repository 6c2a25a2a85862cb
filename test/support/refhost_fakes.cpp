// test/support/refhost_fakes.cpp: the in-memory graph and the fake DBMS.
#include "refhost_fakes.hpp"

#include <algorithm>

namespace refhost::test {

namespace {

Error not_found(const char* what, int64_t id) {
    return make_error(status::kEntityNotFound,
                      std::string(what) + " with id " + std::to_string(id) + " has been deleted in this transaction");
}

bool has_label(const Node& n, std::string_view label) {
    return label.empty() || std::find(n.labels.begin(), n.labels.end(), label) != n.labels.end();
}

}  // namespace

std::optional<Node> MemoryGraph::node(int64_t id) {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? std::nullopt : std::optional<Node>(it->second);
}

std::optional<Relationship> MemoryGraph::relationship(int64_t id) {
    auto it = rels_.find(id);
    return it == rels_.end() ? std::nullopt : std::optional<Relationship>(it->second);
}

Done MemoryGraph::scan_nodes(std::string_view label, const NodeVisitor& visit) {
    for (const auto& [id, n] : nodes_) {
        if (has_label(n, label) && !visit(n)) {
            break;
        }
    }
    return done();
}

Done MemoryGraph::scan_relationships(std::string_view type, const RelationshipVisitor& visit) {
    for (const auto& [id, r] : rels_) {
        if ((type.empty() || r.type == type) && !visit(r)) {
            break;
        }
    }
    return done();
}

Done MemoryGraph::expand(int64_t node, Direction dir, std::string_view type, const RelationshipVisitor& visit) {
    for (const auto& [id, r] : rels_) {
        bool out = r.start_id == node && dir != Direction::Incoming;
        bool in = r.end_id == node && dir != Direction::Outgoing;
        if ((out || in) && (type.empty() || r.type == type) && !visit(r)) {
            break;
        }
    }
    return done();
}

int64_t MemoryGraph::count_nodes(std::string_view label) {
    return std::count_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return has_label(p.second, label); });
}

Done MemoryGraph::may_write() {
    ++mutations_;
    if (refuse_writes) {
        return *refuse_writes;
    }
    writes_ = true;
    return done();
}

Outcome<Node> MemoryGraph::create_node(std::vector<std::string> labels, Map properties) {
    if (auto d = may_write(); !d) {
        return d.error();
    }
    Node n;
    n.id = next_node_++;
    n.labels = std::move(labels);
    n.properties = std::move(properties);
    n.element_id = "4:mem:" + std::to_string(n.id);
    stats_.nodes_created++;
    stats_.labels_added += static_cast<int64_t>(n.labels.size());
    stats_.properties_set += static_cast<int64_t>(n.properties.size());
    nodes_[n.id] = n;
    return n;
}

Outcome<Relationship> MemoryGraph::create_relationship(int64_t start, int64_t end, std::string type,
                                                       Map properties) {
    if (auto d = may_write(); !d) {
        return d.error();
    }
    if (!nodes_.count(start) || !nodes_.count(end)) {
        return not_found("Node", nodes_.count(start) ? end : start);
    }
    Relationship r;
    r.id = next_rel_++;
    r.start_id = start;
    r.end_id = end;
    r.type = std::move(type);
    r.properties = std::move(properties);
    r.element_id = "5:mem:" + std::to_string(r.id);
    r.start_element_id = nodes_[start].element_id;
    r.end_element_id = nodes_[end].element_id;
    stats_.relationships_created++;
    stats_.properties_set += static_cast<int64_t>(r.properties.size());
    rels_[r.id] = r;
    return r;
}

Done MemoryGraph::set_node_property(int64_t id, const std::string& key, const Value& value) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
        return not_found("Node", id);
    }
    if (value.is_null()) {
        if (it->second.properties.erase(key) == 0) {
            return done();
        }
    } else {
        it->second.properties[key] = value;
    }
    stats_.properties_set++;
    return done();
}

Done MemoryGraph::set_relationship_property(int64_t id, const std::string& key, const Value& value) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = rels_.find(id);
    if (it == rels_.end()) {
        return not_found("Relationship", id);
    }
    if (value.is_null()) {
        if (it->second.properties.erase(key) == 0) {
            return done();
        }
    } else {
        it->second.properties[key] = value;
    }
    stats_.properties_set++;
    return done();
}

Done MemoryGraph::replace_node_properties(int64_t id, Map properties) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
        return not_found("Node", id);
    }
    stats_.properties_set += static_cast<int64_t>(it->second.properties.size() + properties.size());
    it->second.properties = std::move(properties);
    return done();
}

Done MemoryGraph::replace_relationship_properties(int64_t id, Map properties) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = rels_.find(id);
    if (it == rels_.end()) {
        return not_found("Relationship", id);
    }
    stats_.properties_set += static_cast<int64_t>(it->second.properties.size() + properties.size());
    it->second.properties = std::move(properties);
    return done();
}

Done MemoryGraph::add_labels(int64_t id, const std::vector<std::string>& labels) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
        return not_found("Node", id);
    }
    for (const auto& l : labels) {
        if (!has_label(it->second, l)) {
            it->second.labels.push_back(l);
            stats_.labels_added++;
        }
    }
    return done();
}

Done MemoryGraph::remove_labels(int64_t id, const std::vector<std::string>& labels) {
    if (auto d = may_write(); !d) {
        return d;
    }
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
        return not_found("Node", id);
    }
    for (const auto& l : labels) {
        auto& ls = it->second.labels;
        auto pos = std::find(ls.begin(), ls.end(), l);
        if (pos != ls.end()) {
            ls.erase(pos);
            stats_.labels_removed++;
        }
    }
    return done();
}

Done MemoryGraph::delete_node(int64_t id, bool detach) {
    if (auto d = may_write(); !d) {
        return d;
    }
    if (!nodes_.count(id)) {
        return not_found("Node", id);
    }
    std::vector<int64_t> attached;
    for (const auto& [rid, r] : rels_) {
        if (r.start_id == id || r.end_id == id) {
            attached.push_back(rid);
        }
    }
    if (!attached.empty() && !detach) {
        return make_error(status::kConstraintValidationFailed,
                          "Cannot delete node<" + std::to_string(id) +
                              ">, because it still has relationships. To delete this node, you must first delete "
                              "its relationships.");
    }
    for (int64_t rid : attached) {
        rels_.erase(rid);
        stats_.relationships_deleted++;
    }
    nodes_.erase(id);
    stats_.nodes_deleted++;
    return done();
}

Done MemoryGraph::delete_relationship(int64_t id) {
    if (auto d = may_write(); !d) {
        return d;
    }
    if (rels_.erase(id) == 0) {
        return not_found("Relationship", id);
    }
    stats_.relationships_deleted++;
    return done();
}

FakeDbms::FakeDbms() {
    add_database("neo4j", 3, 0, "standard");
    add_database("system", 3, 0, "system");
    for (auto& r : databases) {
        r.is_default = r.is_home = r.name == "neo4j";
    }
    for (size_t i = 0; i < 3; ++i) {
        servers.push_back(ServerRow{server_id(i), "server-" + std::to_string(i), server_bolt_address(i), "Enabled",
                                    "Available", {"neo4j", "system"}, "NONE", "127.0.0.1:600" + std::to_string(i)});
    }
    routing[""] = RoutingTable{300, "neo4j", {"127.0.0.1:7687"}, {"127.0.0.1:7688", "127.0.0.1:7689"},
                               {"127.0.0.1:7687", "127.0.0.1:7688", "127.0.0.1:7689"}};
    routing["neo4j"] = routing[""];
}

std::string FakeDbms::server_bolt_address(size_t server) const {
    return "127.0.0.1:" + std::to_string(7687 + server);
}

void FakeDbms::add_database(const std::string& name, size_t primaries, size_t secondaries, const std::string& type) {
    for (size_t i = 0; i < primaries + secondaries; ++i) {
        DatabaseRow r;
        r.name = name;
        r.type = type;
        r.access = type == "replica" ? "read-only" : "read-write";
        r.database_id = "id-" + name;
        r.server_id = server_id(i);
        r.address = server_bolt_address(i);
        r.role = i < primaries ? "primary" : "secondary";
        r.writer = type != "replica" && i == 0;
        r.requested_status = "online";
        r.current_status = "online";
        r.current_primaries_count = r.requested_primaries_count = static_cast<int64_t>(primaries);
        r.current_secondaries_count = r.requested_secondaries_count = static_cast<int64_t>(secondaries);
        r.creation_time = DateTime{1767225600, 0, 0};
        r.last_start_time = DateTime{1767225600, 0, 0};
        r.store = "sqlite-graph-1.0";
        r.last_committed_txn = 7;
        databases.push_back(std::move(r));
    }
    // SHOW DATABASES rows are ordered by name, then server.
    std::stable_sort(databases.begin(), databases.end(),
                     [](const DatabaseRow& a, const DatabaseRow& b) { return a.name < b.name; });
}

Outcome<AuthUser> FakeDbms::authenticate(const std::string&, const std::string& principal, const std::string&) {
    return AuthUser{principal, {"admin"}};
}

Outcome<std::unique_ptr<Transaction>> FakeDbms::begin(size_t, const std::string& database, AccessMode mode,
                                                      const AuthUser&, const std::vector<std::string>&,
                                                      std::chrono::milliseconds, const TxOptions&) {
    return std::unique_ptr<Transaction>(std::make_unique<MemoryTransaction>(graph, database, mode));
}

std::vector<TransactionRow> FakeDbms::show_transactions(size_t, const std::vector<std::string>& ids,
                                                        const AuthUser& user) {
    std::vector<TransactionRow> out;
    for (const auto& t : transactions) {
        bool wanted = ids.empty() || std::find(ids.begin(), ids.end(), t.transaction_id) != ids.end();
        if (wanted && (user.is_admin() || t.username == user.name)) {
            out.push_back(t);
        }
    }
    return out;
}

std::vector<TerminationRow> FakeDbms::terminate_transactions(size_t, const std::vector<std::string>& ids,
                                                             const AuthUser& user) {
    std::vector<TerminationRow> out;
    for (const auto& id : ids) {
        TerminationRow r{id, std::nullopt, "Transaction not found."};
        for (const auto& t : transactions) {
            if (t.transaction_id == id && (user.is_admin() || t.username == user.name)) {
                r.username = t.username;
                r.message = "Transaction terminated.";
                terminated.push_back(id);
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

Done FakeDbms::create_database(const std::string& name, bool if_not_exists, std::optional<TopologyRequest> topology,
                               bool wait) {
    calls.push_back("create " + name + " if_not_exists=" + std::to_string(if_not_exists) + " topology=" +
                    (topology ? std::to_string(topology->primaries) + "/" + std::to_string(topology->secondaries)
                              : std::string("default")) +
                    " wait=" + std::to_string(wait));
    bool exists = std::any_of(databases.begin(), databases.end(), [&](const auto& r) { return r.name == name; });
    if (exists) {
        if (if_not_exists) {
            return done();
        }
        return make_error(status::kExistingDatabaseFound,
                          "Failed to create the specified database '" + name + "': Database already exists.");
    }
    add_database(name, topology ? topology->primaries : 1, topology ? topology->secondaries : 0, "standard");
    return done();
}

Done FakeDbms::drop_database(const std::string& name, bool if_exists, bool wait) {
    calls.push_back("drop " + name + " if_exists=" + std::to_string(if_exists) + " wait=" + std::to_string(wait));
    auto before = databases.size();
    databases.erase(std::remove_if(databases.begin(), databases.end(), [&](const auto& r) { return r.name == name; }),
                    databases.end());
    if (before == databases.size() && !if_exists) {
        return make_error(status::kDatabaseNotFound,
                          "Database does not exist. Database name: '" + name + "'.");
    }
    return done();
}

Done FakeDbms::start_database(const std::string& name, bool wait) {
    calls.push_back("start " + name + " wait=" + std::to_string(wait));
    for (auto& r : databases) {
        if (r.name == name) {
            r.requested_status = r.current_status = "online";
        }
    }
    return done();
}

Done FakeDbms::alter_database(const std::string& name, bool if_exists, const AlterDatabaseRequest& change,
                              bool wait) {
    std::string what = change.read_only ? (*change.read_only ? "access read-only" : "access read-write")
                       : change.topology ? "topology " + std::to_string(change.topology->primaries) + "+" +
                                               std::to_string(change.topology->secondaries)
                                         : "nothing";
    calls.push_back("alter " + name + " " + what + " if_exists=" + std::to_string(if_exists) +
                    " wait=" + std::to_string(wait));
    for (auto& r : databases) {
        if (r.name == name && change.read_only) {
            r.access = *change.read_only ? "read-only" : "read-write";
        }
    }
    return done();
}

Done FakeDbms::stop_database(const std::string& name, bool wait) {
    calls.push_back("stop " + name + " wait=" + std::to_string(wait));
    for (auto& r : databases) {
        if (r.name == name) {
            r.requested_status = r.current_status = "offline";
        }
    }
    return done();
}

Outcome<std::vector<DatabaseRow>> FakeDbms::show_databases(size_t, const std::optional<std::string>& name,
                                                           const AuthUser&) {
    std::vector<DatabaseRow> out;
    for (const auto& r : databases) {
        if (!name || r.name == *name) {
            out.push_back(r);
        }
    }
    return out;
}

Outcome<RoutingTable> FakeDbms::routing_table(size_t, const std::string& database) {
    auto it = routing.find(database);
    if (it == routing.end()) {
        return make_error(status::kDatabaseNotFound,
                          "Database does not exist. Database name: '" + database + "'.");
    }
    return it->second;
}

Outcome<std::vector<std::string>> FakeDbms::call_plugin_procedure(size_t, const std::string& name, const List& args,
                                                                  const AuthUser& user, const std::string&,
                                                                  const RowSink& sink) {
    std::string call = name + "(";
    for (size_t i = 0; i < args.size(); ++i) {
        call += (i ? ", " : "") + (args[i].is<std::string>() ? args[i].as<std::string>() : std::string("?"));
    }
    procedure_calls.push_back(call + ")");
    const ProcedureInfo* info = nullptr;
    for (const auto& p : procedures) {
        if (p.name == name) {
            info = &p;
        }
    }
    if (info == nullptr) {
        return make_error(status::kProcedureNotFound, "no procedure " + name);
    }
    if (info->admin_only && !user.is_admin()) {
        return make_error(status::kForbidden, "admin only");
    }
    auto rows = procedure_bodies.at(name)(args);
    if (!rows) {
        return rows.error();
    }
    for (auto& r : rows.value()) {
        sink(std::move(r));
    }
    std::vector<std::string> columns;
    size_t open = info->signature.rfind(":: (");
    std::string outs = info->signature.substr(open + 4, info->signature.size() - open - 5);
    for (size_t i = 0; i < outs.size();) {
        size_t colon = outs.find(" ::", i);
        columns.push_back(outs.substr(i, colon - i));
        size_t comma = outs.find(", ", colon);
        if (comma == std::string::npos) {
            break;
        }
        i = comma + 2;
    }
    return columns;
}

}  // namespace refhost::test
