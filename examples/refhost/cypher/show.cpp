// examples/refhost/cypher/show.cpp: SHOW rows from DbmsApi.
#include "cypher/show.hpp"

#include "cypher/procedures.hpp"
#include "cypher/query_error.hpp"
#include "cypher/security_show.hpp"

#include <algorithm>

namespace refhost::cypher {

namespace {

Value optional_string(const std::optional<std::string>& s) { return s ? Value(*s) : Value(); }
Value optional_time(const std::optional<DateTime>& t) { return t ? Value(*t) : Value(); }

// In show_columns(Databases).all order.
List database_row(const DatabaseRow& r, bool with_default_home) {
    List row = {r.name,
                r.type,
                r.aliases,
                r.access,
                r.database_id.empty() ? Value() : Value(r.database_id),
                r.server_id.empty() ? Value() : Value(r.server_id),
                optional_string(r.address),
                r.role.empty() ? Value() : Value(r.role),
                r.writer,
                r.requested_status,
                r.current_status,
                r.status_message};
    if (with_default_home) {
        row.push_back(r.is_default);
        row.push_back(r.is_home);
    }
    List rest = {r.current_primaries_count,
                 r.current_secondaries_count,
                 r.requested_primaries_count,
                 r.requested_secondaries_count,
                 r.creation_time,
                 optional_time(r.last_start_time),
                 optional_time(r.last_stop_time),
                 r.store,
                 r.last_committed_txn,
                 r.replication_lag ? Value(*r.replication_lag) : Value(),
                 List{},  // constituents: composite databases only
                 r.options};
    row.insert(row.end(), rest.begin(), rest.end());
    return row;
}

// In show_columns(Transactions).all order.
List transaction_row(TransactionRow r) {
    return List{r.database,
                r.transaction_id,
                optional_string(r.current_query_id),
                r.connection_id,
                optional_string(r.client_address),
                r.username,
                optional_string(r.current_query),
                r.start_time,
                r.status,
                r.elapsed_time,
                std::string(),  // outerTransactionId: no CALL { } IN TRANSACTIONS here
                std::move(r.metadata),
                std::move(r.parameters),
                r.protocol,
                r.status_details,
                std::move(r.resource_information),
                r.active_lock_count,
                r.wait_time,
                r.idle_time};
}

}  // namespace

std::string permission_denied(const std::string& command) {
    return "Permission denied for " + command +
           ". Try executing SHOW USER PRIVILEGES to determine the missing or denied privileges. In case of missing "
           "privileges, they need to be granted (See GRANT). In case of denied privileges, they need to be revoked "
           "(See REVOKE) and granted.";
}

std::vector<List> show_rows(const ShowClause& show, const std::optional<std::string>& database,
                            const std::vector<std::string>& transaction_ids, QueryContext& qc) {
    const ShowKind kind = show.kind;
    std::vector<List> rows;
    switch (kind) {
        case ShowKind::Users:
        case ShowKind::CurrentUser:
        case ShowKind::Roles:
            return security_show_rows(show, qc);
        case ShowKind::Transactions: {
            for (auto& t : qc.dbms.show_transactions(qc.server, transaction_ids, qc.user)) {
                rows.push_back(transaction_row(std::move(t)));
            }
            break;
        }
        case ShowKind::TerminateTransactions: {
            for (auto& t : qc.dbms.terminate_transactions(qc.server, transaction_ids, qc.user)) {
                rows.push_back(List{t.transaction_id, t.username ? Value(*t.username) : Value(), t.message});
            }
            break;
        }
        case ShowKind::Databases:
        case ShowKind::DefaultDatabase:
        case ShowKind::HomeDatabase: {
            auto dbs = qc.dbms.show_databases(qc.server, kind == ShowKind::Databases ? database : std::nullopt,
                                              qc.user);
            if (!dbs) {
                throw QueryError(dbs.error());
            }
            for (const auto& r : dbs.value()) {
                if ((kind == ShowKind::DefaultDatabase && !r.is_default) ||
                    (kind == ShowKind::HomeDatabase && !r.is_home)) {
                    continue;
                }
                rows.push_back(database_row(r, kind == ShowKind::Databases));
            }
            break;
        }
        case ShowKind::Servers: {
            if (!qc.user.is_admin()) {
                throw_error(status::kForbidden, permission_denied("SHOW SERVERS"));
            }
            for (const auto& s : qc.dbms.show_servers()) {
                List hosting;
                for (const auto& h : s.hosting) {
                    hosting.push_back(h);
                }
                rows.push_back(List{s.server_id, s.name, s.address, s.state, s.health, std::move(hosting),
                                    s.mode_constraint});
            }
            break;
        }
        case ShowKind::Procedures: {
            struct Entry {
                std::string name, description, mode, signature;
                bool admin;
                bool works_on_system;
            };
            std::vector<Entry> entries;
            for (const auto& b : builtin_procedures()) {
                // Test hooks (refhost.test.*) work only with their test
                // setting and are not listed for users.
                if (std::string_view(b.name).starts_with("refhost.test.")) {
                    continue;
                }
                entries.push_back({b.name, b.description, b.mode, b.signature, false, b.mode == "DBMS"});
            }
            for (const auto& p : qc.dbms.plugin_procedures(qc.server)) {
                entries.push_back({p.name, p.description, p.mode, p.signature, p.admin_only, p.mode == "DBMS" ||
                                                                                             p.admin_only});
            }
            std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
            for (auto& e : entries) {
                rows.push_back(List{e.name, e.description, e.mode, e.works_on_system, e.signature, e.admin});
            }
            break;
        }
    }
    return rows;
}

}  // namespace refhost::cypher
