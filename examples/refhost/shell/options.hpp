// examples/refhost/shell/options.hpp: ccdr-shell's command line, as
// cypher-shell's: -a/--address, -u/--username, -p/--password,
// -d/--database, --access-mode, --encryption, -f/--file, -P/--param, --format,
// --fail-fast/--fail-at-end, --non-interactive, --help, --version, and a
// query as the last argument. One option cypher-shell has not: --rate, which
// paces the Cypher statements of a query or file (benchmarks that must load a
// server at a given commit rate, test/bench/upstream_cost.sh). The environment variables NEO4J_ADDRESS
// (or NEO4J_URI), NEO4J_USERNAME, NEO4J_PASSWORD and NEO4J_DATABASE give
// defaults.
#pragma once

#include "bolt/client_tls.hpp"
#include "common/error.hpp"
#include "common/value.hpp"
#include "shell/output.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace refhost::shell {

struct ShellOptions {
    std::string address = "neo4j://localhost:7687";
    std::string username = "neo4j";
    std::optional<std::string> password;
    std::string database;  // empty: the user's home database
    bool read_mode = false;
    std::optional<std::string> file;
    Map params;
    std::optional<Format> format;  // unset: table on a terminal, plain otherwise
    std::optional<std::string> query;
    bool fail_at_end = false;
    bool non_interactive = false;
    // --encryption: "default" (the address's scheme decides), "true", "false".
    std::string encryption = "default";
    std::chrono::milliseconds connect_timeout{10'000};
    // --rate: Cypher statements a second from a query or file; statement i
    // is sent at start + i / rate, or at once when the previous one came back
    // later than that (no burst to catch up is held back, none is added).
    // Unset: each statement as soon as the previous one is done.
    std::optional<double> rate;
};

struct Arguments {
    enum class Action { Run, Help, Version };
    Action action = Action::Run;
    ShellOptions options;
};

using Environment = std::function<std::optional<std::string>(const std::string&)>;

// An error names the argument and what is wrong with it.
Outcome<Arguments> parse_arguments(const std::vector<std::string>& args, const Environment& env);

std::string usage();
std::string version_line();

// neo4j://host:port (routing), bolt://host:port (direct), or host:port
// (neo4j://); the +s and +ssc forms of both encrypt (bolt/client_tls.hpp).
// The port defaults to 7687.
struct Address {
    bool routing = true;
    std::string host;
    uint16_t port = 7687;
    std::optional<bolt::ClientTls> tls;  // set by a +s or +ssc scheme
    std::string host_port() const;
};
Outcome<Address> parse_address(const std::string& uri);

// The TLS a connection uses: the scheme's, or --encryption's for a plain
// scheme (true: verified as +s). A +s/+ssc scheme with --encryption true or
// false is refused, as the drivers refuse encryption settings for them.
Outcome<std::optional<bolt::ClientTls>> connection_tls(const ShellOptions& options, const Address& address);

}  // namespace refhost::shell
