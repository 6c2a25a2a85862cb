// examples/refhost/shell/session.cpp: connecting, routing, running.
#include "shell/session.hpp"

#include <chrono>

namespace refhost::shell {

namespace {

Outcome<std::unique_ptr<bolt::BoltClient>> connect_and_logon(const ShellOptions& options, const Address& target,
                                                             const std::optional<bolt::ClientTls>& tls,
                                                             const std::optional<Map>& routing) {
    bolt::ClientOptions co;
    co.user_agent = "ccdr-shell/" CCDR_SHELL_VERSION;
    co.connect_timeout = options.connect_timeout;
    co.routing = routing;
    co.tls = tls;
    auto client = bolt::BoltClient::connect(target.host, target.port, co);
    if (!client) {
        return client.error();
    }
    bolt::AuthToken auth;
    auth.principal = options.username;
    auth.credentials = options.password.value_or("");
    auto ok = client.value()->logon(auth);
    if (!ok) {
        return ok.error();
    }
    return std::move(client.value());
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        out += (i == 0 ? "" : ", ") + v[i];
    }
    return out;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string no_server_message(const std::string& kind, const bolt::RoutingInfo& t) {
    int64_t now = now_ms();
    return "Failed to obtain connection towards " + kind + " server. Known routing table is: RoutingTable[database=" +
           t.database + ", expirationTime=" + std::to_string(now + t.ttl_seconds * 1000) +
           ", currentTime=" + std::to_string(now) + ", routers=[" + join(t.routers) + "], readers=[" +
           join(t.readers) + "], writers=[" + join(t.writers) + "]]";
}

Outcome<std::unique_ptr<ShellSession>> ShellSession::open(const ShellOptions& options, const std::string& database) {
    auto address = parse_address(options.address);
    if (!address) {
        return address.error();
    }
    // Every connection of the session, routed ones too, is encrypted alike.
    auto tls = connection_tls(options, address.value());
    if (!tls) {
        return tls.error();
    }
    std::unique_ptr<ShellSession> s(new ShellSession());
    s->read_mode_ = options.read_mode;
    s->database_ = database;
    s->database_named_ = !database.empty();

    if (!address->routing) {
        auto client = connect_and_logon(options, address.value(), tls.value(), std::nullopt);
        if (!client) {
            return client.error();
        }
        s->client_ = std::move(client.value());
        s->server_ = address->host_port();
        if (database.empty()) {
            // Only to name the home database in the prompt; a server without
            // routing support simply leaves it unnamed.
            if (auto rt = s->client_->route(""); rt.ok()) {
                s->database_ = rt->database;
            }
        }
        return s;
    }

    Map routing{{"address", address->host_port()}};
    auto router = connect_and_logon(options, address.value(), tls.value(), routing);
    if (!router) {
        return router.error();
    }
    auto table = router.value()->route(database);
    if (!table) {
        return table.error();
    }
    const auto& candidates = options.read_mode ? table->readers : table->writers;
    if (candidates.empty()) {
        return Error{"SessionExpired", no_server_message(options.read_mode ? "read" : "write", table.value()),
                     "50N42"};
    }
    s->database_ = table->database;
    s->database_named_ = true;
    const std::string& chosen = candidates.front();
    s->server_ = chosen;
    if (chosen == address->host_port()) {
        s->client_ = std::move(router.value());
        return s;
    }
    router.value()->goodbye();
    auto target = parse_address("neo4j://" + chosen);
    if (!target) {
        return Error{"ProtocolError", "The routing table names an invalid address '" + chosen + "'", "08N06"};
    }
    auto client = connect_and_logon(options, target.value(), tls.value(), routing);
    if (!client) {
        return client.error();
    }
    s->client_ = std::move(client.value());
    return s;
}

Outcome<bolt::ResultSet> ShellSession::run(const std::string& query, const Map& params) {
    Map extra;
    if (database_named_) {
        extra["db"] = database_;
    }
    if (read_mode_) {
        extra["mode"] = "r";
    }
    if (!bookmark_.empty()) {
        extra["bookmarks"] = List{bookmark_};
    }
    auto r = client_->run_all(query, params, extra);
    if (r) {
        if (auto it = r->summary.find("bookmark"); it != r->summary.end() && it->second.is<std::string>()) {
            bookmark_ = it->second.as<std::string>();
        }
    }
    return r;
}

void ShellSession::close() {
    if (client_) {
        client_->goodbye();
    }
}

}  // namespace refhost::shell
