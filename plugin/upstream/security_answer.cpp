#include "upstream/security_answer.hpp"

namespace ccdr::plugin {

using protocol::RefusalCode;

SecurityAnswer answer_security_request(const session::SessionContext& context, const protocol::DatabaseInfoReply& described) {
    SecurityAnswer out;
    if (!described.refusal.empty()) {
        out.refusal = protocol::Refused{RefusalCode::kNotAllowed, described.refusal};
        return out;
    }
    if (!described.exists) {
        out.refusal = protocol::Refused{RefusalCode::kDatabaseNotFound, "database '" + described.name +
                                                                            "' does not exist on server " +
                                                                            context.server.server_id};
        return out;
    }
    auto users = context.host.list_users();
    if (!users) {
        const auto code = users.status().code() == CCDR_UNSUPPORTED ? RefusalCode::kUnsupported : RefusalCode::kInternal;
        out.refusal = protocol::Refused{code, "cannot list the users of server " + context.server.server_id + ": " +
                                                  users.status().message()};
        return out;
    }
    out.snapshot.cluster_id = context.server.cluster_id;
    for (auto& u : *users) {
        out.snapshot.users.push_back(protocol::UserRoles{std::move(u.name), std::move(u.roles)});
    }
    return out;
}

}  // namespace ccdr::plugin
