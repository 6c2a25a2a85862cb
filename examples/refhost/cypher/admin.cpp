// examples/refhost/cypher/admin.cpp: administration commands. They run on any
// session database: Neo4j routes administration to `system` itself.
#include "cypher/admin.hpp"

#include "cypher/query_error.hpp"
#include "cypher/show.hpp"
#include "cypher/text.hpp"
#include "cypher/values.hpp"

#include <cmath>

namespace refhost::cypher {

namespace {

std::string resolve_name(const NameRef& n, const Map& params) {
    if (n.parameter.empty()) {
        return n.literal;
    }
    const Value& v = params.at(n.parameter);
    if (!v.is<std::string>()) {
        throw_error(status::kTypeError, "Expected parameter $" + n.parameter + " to be a STRING (a database name) but was " +
                                      type_name(v) + " " + describe_value(v));
    }
    return ascii_lower(v.as<std::string>());
}

// A TOPOLOGY count: an integer literal or a parameter (an integral float is
// accepted, as drivers without an integer type send one).
uint32_t resolve_count(const Expr& e, const Map& params, const char* what) {
    Value v = e.kind == ExprKind::Parameter ? params.at(e.name) : e.value;
    int64_t n = -1;
    if (v.is<int64_t>()) {
        n = v.as<int64_t>();
    } else if (v.is<double>() && std::trunc(v.as<double>()) == v.as<double>() && std::fabs(v.as<double>()) < 1e9) {
        n = static_cast<int64_t>(v.as<double>());
    } else {
        throw_error(status::kTypeError, std::string("The number of ") + what + " must be an INTEGER but was " +
                                      type_name(v) + " " + describe_value(v));
    }
    if (n < 0 || n > 1000000) {
        throw_error(status::kArgumentError, std::string("The number of ") + what + " must be between 0 and 1000000, got " +
                                          std::to_string(n));
    }
    return static_cast<uint32_t>(n);
}

std::vector<DatabaseRow> members(const std::string& name, QueryContext& qc) {
    auto rows = qc.dbms.show_databases(qc.server, name, qc.user);
    if (!rows) {
        return {};  // an unknown name has no members
    }
    return rows.value();
}

// The rows of `... WAIT`: one per member, as Neo4j's address/state/message/success.
void wait_rows(const std::vector<DatabaseRow>& rows, bool dropped, QueryResult& out) {
    out.columns = {"address", "state", "message", "success"};
    for (const auto& r : rows) {
        bool ok = dropped || r.current_status == r.requested_status;
        out.rows.push_back(List{r.address ? Value(*r.address) : Value(), std::string(ok ? "CaughtUp" : "Waiting"),
                                std::string(ok ? "caught up" : r.status_message.empty() ? "not caught up yet"
                                                                                        : r.status_message),
                                ok});
    }
}

}  // namespace

QueryResult run_admin(const AdminCommand& c, const Map& params, QueryContext& qc) {
    if (!qc.user.is_admin()) {
        throw_error(status::kForbidden, permission_denied(command_name(c.kind)));
    }
    std::string name = resolve_name(c.name, params);
    QueryResult out;
    out.type = "s";
    std::vector<DatabaseRow> before = members(name, qc);
    bool changed = true;
    Done done = refhost::done();
    std::optional<TopologyRequest> topology;
    if (c.topology) {
        TopologyRequest t;
        t.primaries = resolve_count(*c.topology->primaries, params, "primaries");
        t.secondaries = c.topology->secondaries ? resolve_count(*c.topology->secondaries, params, "secondaries") : 0;
        topology = t;
    }
    switch (c.kind) {
        case AdminKind::CreateDatabase: {
            changed = !(c.if_not_exists && !before.empty());
            done = qc.dbms.create_database(name, c.if_not_exists, topology, c.wait);
            break;
        }
        case AdminKind::AlterDatabase: {
            changed = !(c.if_exists && before.empty());
            done = qc.dbms.alter_database(name, c.if_exists, AlterDatabaseRequest{c.read_only, topology}, c.wait);
            break;
        }
        case AdminKind::DropDatabase:
            changed = !(c.if_exists && before.empty());
            done = qc.dbms.drop_database(name, c.if_exists, c.wait);
            break;
        case AdminKind::StartDatabase: done = qc.dbms.start_database(name, c.wait); break;
        case AdminKind::StopDatabase: done = qc.dbms.stop_database(name, c.wait); break;
    }
    if (!done) {
        throw QueryError(done.error());
    }
    out.contains_system_updates = changed;
    out.system_updates = changed ? 1 : 0;
    if (c.wait) {
        if (c.kind == AdminKind::DropDatabase) {
            wait_rows(before, true, out);
        } else {
            wait_rows(members(name, qc), false, out);
        }
    }
    return out;
}

}  // namespace refhost::cypher
