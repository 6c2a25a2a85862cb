// examples/refhost/cypher/procedures.cpp: built-in procedures and the
// resolution of CALL targets.
#include "cypher/procedures.hpp"

#include "cypher/query_error.hpp"
#include "security/privileges.hpp"
#include "cypher/source_position.hpp"
#include "cypher/values.hpp"

#include <set>

namespace refhost::cypher {

namespace {

// dbms.routing.getRoutingTable: entries WRITE, READ, ROUTE, each
// {addresses, role}, an entry left out when it has no address.
std::vector<List> routing_table(const List& args, ProcedureEnv& env) {
    if (!args[0].is_null() && !args[0].is<Map>()) {
        throw_error(status::kTypeError, "Type mismatch for argument 'context' of dbms.routing.getRoutingTable: "
                                  "expected MAP but was " + type_name(args[0]));
    }
    std::string database;
    if (args.size() > 1 && !args[1].is_null()) {
        if (!args[1].is<std::string>()) {
            throw_error(status::kTypeError, "Type mismatch for argument 'database' of dbms.routing.getRoutingTable: "
                                      "expected STRING but was " + type_name(args[1]));
        }
        database = args[1].as<std::string>();
    }
    auto table = env.qc.dbms.routing_table(env.qc.server, database);
    if (!table) {
        throw QueryError(table.error());
    }
    List servers;
    auto entry = [&](const std::vector<std::string>& addresses, const char* role) {
        if (addresses.empty()) {
            return;
        }
        List list;
        for (const auto& a : addresses) {
            list.push_back(a);
        }
        servers.push_back(Map{{"addresses", std::move(list)}, {"role", std::string(role)}});
    };
    entry(table->writers, "WRITE");
    entry(table->readers, "READ");
    entry(table->routers, "ROUTE");
    return {List{table->ttl_seconds, std::move(servers)}};
}

std::vector<List> components(const List&, ProcedureEnv& env) {
    std::string product = env.qc.dbms.product_version();
    size_t slash = product.find('/');
    std::string version = slash == std::string::npos ? product : product.substr(slash + 1);
    return {List{std::string("Neo4j Kernel"), List{version}, std::string("enterprise")}};
}

// Scans the graph once for the names db.labels/relationshipTypes/propertyKeys list.
std::vector<List> graph_names(ProcedureEnv& env, int what) {
    std::set<std::string> names;
    if (env.graph != nullptr) {
        if (what != 1) {
            auto done = env.graph->scan_nodes("", [&](const Node& n) {
                if (what == 0) {
                    names.insert(n.labels.begin(), n.labels.end());
                } else {
                    for (const auto& [k, v] : n.properties) {
                        names.insert(k);
                    }
                }
                return true;
            });
            if (!done) {
                throw QueryError(done.error());
            }
        }
        if (what != 0) {
            auto done = env.graph->scan_relationships("", [&](const Relationship& r) {
                if (what == 1) {
                    names.insert(r.type);
                } else {
                    for (const auto& [k, v] : r.properties) {
                        names.insert(k);
                    }
                }
                return true;
            });
            if (!done) {
                throw QueryError(done.error());
            }
        }
    }
    std::vector<List> rows;
    for (const auto& n : names) {
        rows.push_back(List{n});
    }
    return rows;
}

// refhost.test.divergeMember(nodeId, key, value): the test hook that makes
// this server's member of the session's database diverge (DbmsApi).
std::vector<List> diverge_member(const List& args, ProcedureEnv& env) {
    if (!args[0].is<int64_t>() || !args[1].is<std::string>()) {
        throw_error(status::kTypeError, "refhost.test.divergeMember(nodeId :: INTEGER, key :: STRING, value :: ANY)");
    }
    auto done = env.qc.dbms.diverge_member_for_test(env.qc.server, env.qc.database, args[0].as<int64_t>(),
                                                    args[1].as<std::string>(), args[2]);
    if (!done) {
        throw QueryError(done.error());
    }
    return {List{true}};
}

std::vector<List> labels(const List&, ProcedureEnv& env) { return graph_names(env, 0); }
std::vector<List> relationship_types(const List&, ProcedureEnv& env) { return graph_names(env, 1); }
std::vector<List> property_keys(const List&, ProcedureEnv& env) { return graph_names(env, 2); }

}  // namespace

const std::vector<BuiltinProcedure>& builtin_procedures() {
    static const std::string kRoutingArgs =
        "(context :: MAP, database = null :: STRING) :: (ttl :: INTEGER, servers :: LIST<MAP>)";
    static const std::vector<BuiltinProcedure> kProcedures = {
        {"db.labels", "db.labels() :: (label :: STRING)", "List all labels in the database.", "READ", 0, 0,
         {"label"}, labels},
        {"db.propertyKeys", "db.propertyKeys() :: (propertyKey :: STRING)",
         "List all property keys in the database.", "READ", 0, 0, {"propertyKey"}, property_keys},
        {"db.relationshipTypes", "db.relationshipTypes() :: (relationshipType :: STRING)",
         "List all relationship types in the database.", "READ", 0, 0, {"relationshipType"}, relationship_types},
        {"dbms.cluster.routing.getRoutingTable", "dbms.cluster.routing.getRoutingTable" + kRoutingArgs,
         "Returns the advertised bolt capable endpoints for a given database, divided by each endpoint's "
         "capabilities. Deprecated: use dbms.routing.getRoutingTable.",
         "DBMS", 1, 2, {"ttl", "servers"}, routing_table},
        {"dbms.components", "dbms.components() :: (name :: STRING, versions :: LIST<STRING>, edition :: STRING)",
         "List DBMS components and their versions.", "DBMS", 0, 0, {"name", "versions", "edition"}, components},
        {"refhost.test.divergeMember",
         "refhost.test.divergeMember(nodeId :: INTEGER, key :: STRING, value :: ANY) :: (diverged :: BOOLEAN)",
         "Tests only (refhost.test.divergence_hook=true): sets a property on this server's member of the "
         "session's database without logging it, so that member diverges.",
         "DBMS", 3, 3, {"diverged"}, diverge_member},
        {"dbms.routing.getRoutingTable", "dbms.routing.getRoutingTable" + kRoutingArgs,
         "Returns the advertised bolt capable endpoints for a given database, divided by each endpoint's "
         "capabilities. For example an endpoint may serve read queries, write queries and/or future "
         "getRoutingTable requests.",
         "DBMS", 1, 2, {"ttl", "servers"}, routing_table},
    };
    return kProcedures;
}

std::vector<std::string> signature_outputs(const std::string& signature) {
    std::vector<std::string> out;
    size_t open = signature.rfind(":: (");
    size_t close = signature.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
        return out;
    }
    std::string inner = signature.substr(open + 4, close - open - 4);
    size_t i = 0;
    while (i < inner.size()) {
        size_t comma = inner.find(", ", i);
        std::string field = inner.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
        size_t colon = field.find(" ::");
        std::string name = field.substr(0, colon);
        if (!name.empty()) {
            out.push_back(name);
        }
        if (comma == std::string::npos) {
            break;
        }
        i = comma + 2;
    }
    return out;
}

ResolvedProcedures resolve_procedures(const Query& q, QueryContext& qc, std::string_view query_text) {
    ResolvedProcedures resolved;
    std::vector<ProcedureInfo> plugin;
    bool plugin_loaded = false;
    for (const auto& clause : q.clauses) {
        const auto* call = std::get_if<CallClause>(&clause.body);
        if (call == nullptr) {
            continue;
        }
        ResolvedProcedure r;
        r.name = call->procedure;
        for (const auto& b : builtin_procedures()) {
            if (b.name == call->procedure) {
                r.builtin = &b;
                r.mode = b.mode;
                r.outputs = b.outputs;
                if (call->args.size() < b.min_args || call->args.size() > b.max_args) {
                    throw_error(status::kSyntaxError,
                                syntax_message(query_text, call->name_offset,
                                               "Procedure call does not provide the required number of arguments: "
                                               "got " + std::to_string(call->args.size()) + " expected " +
                                                   (b.min_args == b.max_args
                                                        ? std::to_string(b.min_args)
                                                        : "at least " + std::to_string(b.min_args) + " (total: " +
                                                              std::to_string(b.max_args) + ", " +
                                                              std::to_string(b.max_args - b.min_args) +
                                                              " of which have default values)") +
                                                   ".\n\nProcedure " + b.name + " has signature: " + b.signature));
                }
            }
        }
        if (r.builtin == nullptr) {
            if (!plugin_loaded) {
                plugin = qc.dbms.plugin_procedures(qc.server);
                plugin_loaded = true;
            }
            const ProcedureInfo* info = nullptr;
            for (const auto& p : plugin) {
                if (p.name == call->procedure) {
                    info = &p;
                }
            }
            if (info == nullptr) {
                throw_error(status::kProcedureNotFound,
                            "There is no procedure with the name `" + call->procedure +
                                "` registered for this database instance. Please ensure you've spelled the "
                                "procedure name correctly and that the procedure is properly deployed.");
            }
            if (info->admin_only && !qc.user.is_admin()) {
                throw_error(status::kForbidden, "Executing procedure is not allowed for " +
                                                   security::describe_user(qc.user.name, qc.user.roles) + ".");
            }
            r.mode = info->mode;
            r.outputs = signature_outputs(info->signature);
        }
        for (const auto& y : call->yields) {
            bool known = false;
            for (const auto& o : r.outputs) {
                known = known || o == y.field;
            }
            if (!known) {
                throw_error(status::kSyntaxError,
                            syntax_message(query_text, y.offset, "Unknown procedure output: `" + y.field + "`"));
            }
        }
        resolved.emplace(call, std::move(r));
    }
    return resolved;
}

// The ABI has no temporal types. A zoned date-time argument (also inside a
// list or map, e.g. promoteReplicaDatabase's {upToTime: datetime(...)})
// reaches a plugin as its ISO-8601 text, the form toString() gives, which
// names one instant; other temporal values name no instant on their own and
// stay refused by the plugin host.
namespace {

Value zoned_datetimes_as_text(const Value& v) {
    if (v.is<DateTime>() || v.is<DateTimeZoneId>()) {
        if (auto text = to_cypher_string(v)) {
            return Value(*text);
        }
        return v;
    }
    if (const List* l = v.get_if<List>()) {
        List out;
        for (const auto& item : *l) {
            out.push_back(zoned_datetimes_as_text(item));
        }
        return Value(std::move(out));
    }
    if (const Map* m = v.get_if<Map>()) {
        Map out;
        for (const auto& [k, item] : *m) {
            out.emplace(k, zoned_datetimes_as_text(item));
        }
        return Value(std::move(out));
    }
    return v;
}

}  // namespace

std::vector<List> call_procedure(const ResolvedProcedure& p, const List& args, ProcedureEnv& env,
                                 std::vector<std::string>& columns) {
    if (p.builtin != nullptr) {
        List full = args;
        while (full.size() < p.builtin->max_args) {
            full.push_back(Value());  // optional arguments default to null
        }
        columns = p.builtin->outputs;
        return p.builtin->run(full, env);
    }
    std::vector<List> rows;
    List plugin_args;
    for (const auto& a : args) {
        plugin_args.push_back(zoned_datetimes_as_text(a));
    }
    auto cols = env.qc.dbms.call_plugin_procedure(env.qc.server, p.name, plugin_args, env.qc.user, env.qc.database,
                                                  [&](List row) { rows.push_back(std::move(row)); });
    if (!cols) {
        throw QueryError(cols.error());
    }
    columns = cols.value();
    return rows;
}

}  // namespace refhost::cypher
