// The refhost program: `refhost --home HOME` runs one cluster until SIGTERM
// or SIGINT; the other forms change a stopped HOME (see --help).
#include "app/admin_commands.hpp"
#include "app/runtime.hpp"
#include "bolt/server.hpp"
#include "cypher/engine.hpp"

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  refhost --home HOME                      run the cluster of HOME until SIGTERM/SIGINT\n"
    "  refhost set-initial-password --home HOME PASSWORD\n"
    "                                           set the password of user neo4j\n"
    "  refhost add-user --home HOME --role ROLE NAME PASSWORD\n"
    "                                           create or update a user (ROLE: admin, architect,\n"
    "                                           publisher, editor or reader)\n"
    "  refhost --version                        print the version\n"
    "  refhost --help                           print this help\n"
    "\n"
    "HOME holds conf/neo4j.conf, plugins/, certificates/, data/, logs/debug.log and metrics/.\n"
    "Settings may also come from the environment: NEO4J_server_bolt_listen__address=... ('_' for '.',\n"
    "'__' for '_'). On start, one line 'refhost: cluster ready: N servers' is printed when every\n"
    "server is up.\n";

int fail(const std::string& message) {
    std::fprintf(stderr, "refhost: %s\n", message.c_str());
    return 1;
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "refhost: %s\n%s", message.c_str(), kUsage);
    return 2;
}

// server.bolt.tls_level and, unless DISABLED, the TLS context of the bolt
// SSL policy (whose files Config checked at load).
refhost::Done bolt_tls(const refhost::Config& config, refhost::bolt::BoltServerOptions& options) {
    options.tls_level = *refhost::bolt::parse_tls_level(*config.get("server.bolt.tls_level"));
    if (options.tls_level == refhost::bolt::TlsLevel::Disabled) {
        return refhost::done();
    }
    const std::string policy = "dbms.ssl.policy.bolt.";
    auto get = [&](const char* suffix) { return *config.get(policy + suffix); };
    refhost::bolt::BoltTlsPolicy p;
    p.private_key = get("private_key");
    p.public_certificate = get("public_certificate");
    p.trusted_dir = get("trusted_dir");
    p.revoked_dir = get("revoked_dir");
    p.client_auth = get("client_auth");
    const std::string versions = get("tls_versions");
    p.tls12 = versions.find("TLSv1.2") != std::string::npos;
    p.tls13 = versions.find("TLSv1.3") != std::string::npos;
    auto ctx = refhost::bolt::make_bolt_tls_context(p);
    if (!ctx) {
        return ctx.error();
    }
    options.tls_context = std::move(ctx.value());
    return refhost::done();
}

// Every Bolt connection is a file descriptor: the soft limit (1024 on a
// default Debian login) goes up to the hard one.
void raise_open_files_limit(spdlog::logger& log) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == lim.rlim_max) {
        return;
    }
    rlim_t before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
        log.info("open files limit raised from {} to {}", before, lim.rlim_cur);
    }
}

int run(const std::string& home) {
    // Every thread started from here on inherits the blocked signals; the
    // main thread alone takes them, with sigwait.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto runtime = refhost::Runtime::start(home, refhost::process_environment());
    if (!runtime) {
        return fail(runtime.status().message());
    }
    refhost::Runtime& rt = *runtime.value();

    // --- Client front end -------------------------------------------------
    // One Bolt listener per logical server, serving rt.dbms() through the
    // Cypher engine. It listens before the ready line is printed and stops
    // first, before rt.stop(): open transactions roll back while the stores
    // are still open.
    raise_open_files_limit(rt.log());
    auto engine = refhost::cypher::make_engine();
    const auto& conf = rt.cluster().config();
    refhost::bolt::BoltServerOptions bolt_options;
    bolt_options.logger = &rt.log();
    if (auto tls = bolt_tls(conf, bolt_options); !tls) {
        rt.stop();
        return fail(tls.error().message);
    }
    bolt_options.max_connections = static_cast<size_t>(conf.integer("refhost.bolt.max_connections"));
    bolt_options.max_unauthenticated_connections =
        static_cast<size_t>(conf.integer("refhost.bolt.max_unauthenticated_connections"));
    bolt_options.unauthenticated_timeout = conf.duration("refhost.bolt.unauthenticated_timeout");
    bolt_options.worker_threads = static_cast<size_t>(conf.integer("refhost.bolt.worker_threads"));
    refhost::bolt::BoltService bolt(rt.dbms(), *engine, bolt_options);
    if (auto started = bolt.start(); !started) {
        rt.stop();
        return fail(started.error().message);
    }

    size_t n = rt.cluster().server_count();
    rt.log().info("cluster ready: {} server(s)", n);
    std::printf("refhost: cluster ready: %zu %s\n", n, n == 1 ? "server" : "servers");
    std::fflush(stdout);

    int sig = 0;
    sigwait(&signals, &sig);
    auto stopping = std::chrono::steady_clock::now();
    rt.log().info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    // No new connections or transactions; the open transactions get
    // db.shutdown_transaction_end_timeout to finish, the rest are
    // terminated (rolled back, their clients told). Then the connections
    // close, the plugins stop (a batch being applied finishes) and the
    // stores close.
    bolt.close_listeners();
    rt.cluster().end_transactions();
    bolt.stop();
    rt.stop();
    auto ms = [&] {
        return static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping).count());
    };
    rt.log().info("stopped in {} ms; closing the stores", ms());
    runtime.value().reset();  // the stores close here (SQLite checkpoints each WAL into its file)
    std::printf("refhost: stopped in %lld ms\n", ms());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        return usage_error("nothing to do");
    }
    if (args[0] == "--help" || args[0] == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (args[0] == "--version") {
        std::printf("refhost %s (ccdr ABI %d.%d)\n", refhost::kProductVersion, CCDR_ABI_VERSION_MAJOR,
                    CCDR_ABI_VERSION_MINOR);
        return 0;
    }
    std::string command;
    if (args[0] == "set-initial-password" || args[0] == "add-user") {
        command = args[0];
        args.erase(args.begin());
    }
    std::string home, role;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--home" || args[i] == "--role") {
            if (i + 1 >= args.size()) {
                return usage_error(args[i] + " needs a value");
            }
            (args[i] == "--home" ? home : role) = args[i + 1];
            ++i;
        } else if (args[i].rfind("--home=", 0) == 0) {
            home = args[i].substr(7);
        } else if (args[i].rfind("--role=", 0) == 0) {
            role = args[i].substr(7);
        } else if (args[i].rfind("--", 0) == 0) {
            return usage_error("unknown option " + args[i]);
        } else {
            positional.push_back(args[i]);
        }
    }
    if (home.empty()) {
        return usage_error("--home HOME is required");
    }
    if (command.empty()) {
        if (!positional.empty() || !role.empty()) {
            return usage_error("unexpected arguments");
        }
        return run(home);
    }
    if (command == "set-initial-password") {
        if (positional.size() != 1 || !role.empty()) {
            return usage_error("set-initial-password takes --home HOME and one PASSWORD");
        }
        ccdr::Status st = refhost::set_initial_password(home, positional[0]);
        if (!st) {
            return fail(st.message());
        }
        std::printf("Changed password for user 'neo4j'.\n");
        return 0;
    }
    if (positional.size() != 2 || role.empty()) {
        return usage_error("add-user takes --home HOME --role ROLE NAME PASSWORD (ROLE: admin, architect, publisher, editor or reader)");
    }
    ccdr::Status st = refhost::add_user(home, role, positional[0], positional[1]);
    if (!st) {
        return fail(st.message());
    }
    std::printf("User '%s' (role %s) saved.\n", positional[0].c_str(), role.c_str());
    return 0;
}
