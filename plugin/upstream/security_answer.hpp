// plugin/upstream/security_answer.hpp: the upstream's answer to
// SECURITY_REQUEST (internal.dbms.compareSecurity on a replica's cluster):
// every user of this cluster with its roles, read through the host's
// list_users (ABI 1.2). Only a peer that may replicate the named database
// gets it (the same rule as DATABASE_INFO and SUBSCRIBE: the database
// exists here and ccdr.upstream.allowed_databases lists it), and no
// password or hash is ever part of it.
#pragma once

#include "protocol/messages.hpp"
#include "session/session_context.hpp"

#include <optional>

namespace ccdr::plugin {

struct SecurityAnswer {
    protocol::SecuritySnapshot snapshot;
    std::optional<protocol::Refused> refusal;  // set: the request is refused, and why
};

// `described` is what this server says of the requested database
// (UpstreamChecks::describe). Blocks: host calls.
SecurityAnswer answer_security_request(const session::SessionContext& context, const protocol::DatabaseInfoReply& described);

}  // namespace ccdr::plugin
