#include "cypher/security_show.hpp"

#include "common/status_codes.hpp"
#include "cypher/query_error.hpp"
#include "cypher/show.hpp"
#include "security/privileges.hpp"

#include <algorithm>

namespace refhost::cypher {

namespace {

[[noreturn]] void fail(const status::Code& code, std::string message) {
    throw QueryError(make_error(code, std::move(message)));
}

List user_row(const UserRow& u) {
    List roles(u.roles.begin(), u.roles.end());
    return List{u.name, std::move(roles), u.password_change_required, u.suspended, Value()};
}

bool has(const UserRow& u, std::string_view role) {
    return std::find(u.roles.begin(), u.roles.end(), role) != u.roles.end();
}

}  // namespace

std::vector<List> security_show_rows(const ShowClause& show, QueryContext& qc) {
    UserAdmin* admin = qc.dbms.user_admin();
    if (admin == nullptr) {
        fail(status::kUnsupportedAdministrationCommand, "This DBMS has no user administration.");
    }
    const bool is_admin = security::privileges_of(qc.user.roles).admin;
    std::vector<List> rows;
    switch (show.kind) {
        case ShowKind::CurrentUser:
            for (const auto& u : admin->users()) {
                if (u.name == qc.user.name) {
                    rows.push_back(user_row(u));
                }
            }
            return rows;
        case ShowKind::Users:
            if (!is_admin) {
                fail(status::kForbidden, permission_denied("SHOW USER"));
            }
            for (const auto& u : admin->users()) {
                rows.push_back(user_row(u));
            }
            return rows;
        case ShowKind::Roles: {
            if (!is_admin) {
                fail(status::kForbidden, permission_denied(show.with_users ? "SHOW ROLE and/or SHOW USER" : "SHOW ROLE"));
            }
            auto users = admin->users();
            for (auto role : security::kBuiltinRoles) {
                std::vector<std::string> members;
                for (const auto& u : users) {
                    if (has(u, role)) {
                        members.push_back(u.name);
                    }
                }
                if (show.populated_only && members.empty()) {
                    continue;
                }
                if (!show.with_users) {
                    rows.push_back(List{std::string(role)});
                } else if (members.empty()) {
                    rows.push_back(List{std::string(role), Value()});
                } else {
                    for (auto& m : members) {
                        rows.push_back(List{std::string(role), std::move(m)});
                    }
                }
            }
            return rows;
        }
        default:
            break;
    }
    return rows;
}

}  // namespace refhost::cypher
