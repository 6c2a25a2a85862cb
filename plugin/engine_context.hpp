// plugin/engine_context.hpp: what the layers of one plugin instance share,
// built once by CcdrPlugin at create(): the session context (host, this
// server's identity, settings, log, runtime) that both ends of a replication
// session use, and the transport security (TLS contexts from the cluster SSL
// policy, or the reason replication is off). It lives at the root because it
// gathers every layer's pieces; the layers beneath never see it, each gets
// only its part (session::SessionContext, replica::UpstreamDialer).
#pragma once

#include "session/session_context.hpp"
#include "transport/security.hpp"

namespace ccdr::plugin {

struct EngineContext {
    session::SessionContext session;
    transport::TransportSecurity security;
};

}  // namespace ccdr::plugin
