// examples/refhost/shell/session.hpp: ccdr-shell's connection to the
// database, as a driver session with a default access mode would make it.
//
// neo4j:// (routing): connect to the given address, ask it for the routing
// table of the database (ROUTE), then use the writer (write mode) or the
// first reader (read mode); with no such server the session fails as the
// JavaScript driver does ("Failed to obtain connection towards write
// server. Known routing table is: ..."). bolt://: that server, directly.
// Statements run as auto-commit transactions; each sends the bookmark of
// the previous one, so a session reads its own writes on any member.
#pragma once

#include "bolt/client.hpp"
#include "common/error.hpp"
#include "shell/options.hpp"

#include <memory>
#include <optional>
#include <string>

namespace refhost::shell {

class ShellSession {
public:
    // `database` empty: the user's home database.
    static Outcome<std::unique_ptr<ShellSession>> open(const ShellOptions& options, const std::string& database);

    Outcome<bolt::ResultSet> run(const std::string& query, const Map& params);

    // The database statements run against ("" when a direct server would not say).
    const std::string& database() const { return database_; }
    const std::string& server() const { return server_; }  // host:port
    bolt::BoltVersion version() const { return client_->version(); }
    void close();

private:
    ShellSession() = default;
    std::unique_ptr<bolt::BoltClient> client_;
    std::string database_;
    bool database_named_ = false;
    bool read_mode_ = false;
    std::string server_;
    std::string bookmark_;
};

// The message of the driver's error for a routing table without a server of
// the wanted kind ("write" or "read").
std::string no_server_message(const std::string& kind, const bolt::RoutingInfo& table);

}  // namespace refhost::shell
