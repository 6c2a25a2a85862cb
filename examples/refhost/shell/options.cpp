// examples/refhost/shell/options.cpp: argument parsing.
#include "shell/options.hpp"

#include "shell/literal.hpp"

#include <cmath>
#include <stdexcept>

namespace refhost::shell {

namespace {

constexpr const status::Code& kArgs = status::kInvalidArguments;

Error bad(const std::string& what) { return make_error(kArgs, what); }

// A positive, finite number of statements a second.
Outcome<double> parse_rate(const std::string& text) {
    double rate = 0;
    size_t used = 0;
    try {
        rate = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(rate) || rate <= 0) {
        return bad("argument --rate: expected a positive number of statements a second, found '" + text + "'");
    }
    return rate;
}

}  // namespace

std::string Address::host_port() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Outcome<Address> parse_address(const std::string& uri) {
    Address a;
    std::string rest = uri;
    size_t sep = uri.find("://");
    if (sep != std::string::npos) {
        std::string scheme = uri.substr(0, sep);
        rest = uri.substr(sep + 3);
        size_t plus = scheme.find('+');
        std::string base = scheme.substr(0, plus);
        std::string security = plus == std::string::npos ? "" : scheme.substr(plus + 1);
        if ((base != "neo4j" && base != "bolt") || (!security.empty() && security != "s" && security != "ssc")) {
            return bad("Unsupported address scheme '" + scheme + "' in '" + uri +
                       "' (use neo4j://, bolt:// or their +s and +ssc forms)");
        }
        a.routing = base == "neo4j";
        if (!security.empty()) {
            a.tls = bolt::ClientTls{security == "s"};
        }
    }
    // Drop a path or query: neo4j://host:port/?policy=x
    size_t end = rest.find_first_of("/?");
    if (end != std::string::npos) {
        rest = rest.substr(0, end);
    }
    if (rest.empty()) {
        return bad("No host in address '" + uri + "'");
    }
    std::string port;
    if (rest.front() == '[') {
        size_t close = rest.find(']');
        if (close == std::string::npos) {
            return bad("Unterminated IPv6 address in '" + uri + "'");
        }
        a.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') {
                return bad("Malformed address '" + uri + "'");
            }
            port = rest.substr(close + 2);
        }
    } else {
        size_t colon = rest.rfind(':');
        a.host = rest.substr(0, colon);
        if (colon != std::string::npos) {
            port = rest.substr(colon + 1);
        }
    }
    if (a.host.empty()) {
        return bad("No host in address '" + uri + "'");
    }
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535 ||
            std::stoul(port) == 0) {
            return bad("Invalid port '" + port + "' in address '" + uri + "'");
        }
        a.port = static_cast<uint16_t>(std::stoul(port));
    }
    return a;
}

std::string version_line() { return std::string("ccdr-shell ") + CCDR_SHELL_VERSION; }

std::string usage() {
    return R"(usage: ccdr-shell [-h] [-a ADDRESS] [-u USERNAME] [-p PASSWORD] [-d DATABASE]
                  [--access-mode {read,write}] [--encryption {true,false,default}]
                  [--format {auto,table,verbose,plain}]
                  [-P PARAM] [-f FILE] [--fail-fast | --fail-at-end]
                  [--rate TX_PER_S] [--non-interactive] [-v] [cypher]

A command line shell where you can execute Cypher against a Neo4j-compatible
server (the ccdr reference host, or Neo4j itself) over Bolt 5.

positional arguments:
  cypher                 An optional string of Cypher to execute and then exit
                         (several statements separated by ';').

options:
  -h, --help             show this help message and exit
  -a, --address, --uri ADDRESS
                         address and port to connect to:
                         neo4j://host:port routes (writes to the writer, reads
                         to a reader, by --access-mode); bolt://host:port
                         connects directly (default: neo4j://localhost:7687,
                         env NEO4J_ADDRESS or NEO4J_URI); neo4j+s://, bolt+s://
                         encrypt and verify the server's certificate (system
                         CAs), neo4j+ssc://, bolt+ssc:// encrypt and accept any
                         certificate
  --encryption {true,false,default}
                         encrypt a neo4j:// or bolt:// connection (true: as
                         +s); default: as the address's scheme says
  -u, --username USERNAME
                         username to connect as (default: neo4j, env
                         NEO4J_USERNAME)
  -p, --password PASSWORD
                         password to connect with (env NEO4J_PASSWORD; asked
                         for when interactive)
  -d, --database DATABASE
                         database to connect to (default: the user's home
                         database, env NEO4J_DATABASE)
  --access-mode {read,write}
                         access mode (default: write)
  --format {auto,table,verbose,plain}
                         output format: table when the output is a terminal,
                         plain otherwise (auto, the default); verbose is table
  -P, --param PARAM      a query parameter: '{a: 1, b: "x"}' or 'name => value';
                         may be repeated
  -f, --file FILE        run the Cypher statements in FILE and exit
  --fail-fast            exit at the first error (default)
  --fail-at-end          run every statement, exit with an error at the end
                         if one failed
  --rate TX_PER_S        send the statements of a query or file at this many
                         a second (statement i at start + i / rate, at once
                         when running late); not in cypher-shell, for
                         benchmarks (default: each as soon as the previous
                         one is done)
  --non-interactive      never prompt, even when stdin is a terminal
  -v, --version          print the version of ccdr-shell and exit

Interactive commands: :use DATABASE, :param name => value, :params, :help,
:exit (or :quit).
)";
}

Outcome<std::optional<bolt::ClientTls>> connection_tls(const ShellOptions& options, const Address& address) {
    if (address.tls) {
        if (options.encryption != "default") {
            return bad("argument --encryption: the address " + options.address +
                       " sets the encryption by its scheme; use --encryption default, or a neo4j:// or bolt:// "
                       "address");
        }
        return address.tls;
    }
    if (options.encryption == "true") {
        return std::optional<bolt::ClientTls>(bolt::ClientTls{true});
    }
    return std::optional<bolt::ClientTls>();
}

Outcome<Arguments> parse_arguments(const std::vector<std::string>& args, const Environment& env) {
    Arguments out;
    ShellOptions& o = out.options;
    if (auto a = env("NEO4J_ADDRESS")) {
        o.address = *a;
    } else if (auto u = env("NEO4J_URI")) {
        o.address = *u;
    }
    if (auto u = env("NEO4J_USERNAME")) {
        o.username = *u;
    }
    if (auto p = env("NEO4J_PASSWORD")) {
        o.password = *p;
    }
    if (auto d = env("NEO4J_DATABASE")) {
        o.database = *d;
    }

    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inline_value;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            inline_value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
        }
        auto value = [&]() -> Outcome<std::string> {
            if (inline_value) {
                return *inline_value;
            }
            if (i + 1 >= args.size()) {
                return Error(bad("argument " + arg + ": expected one argument"));
            }
            return args[++i];
        };
        auto take = [&](std::string& target) -> Done {
            auto v = value();
            if (!v) {
                return v.error();
            }
            target = v.value();
            return done();
        };
        if (arg == "-h" || arg == "--help") {
            out.action = Arguments::Action::Help;
            return out;
        }
        if (arg == "-v" || arg == "--version") {
            out.action = Arguments::Action::Version;
            return out;
        }
        Done ok = done();
        if (arg == "-a" || arg == "--address" || arg == "--uri") {
            ok = take(o.address);
        } else if (arg == "-u" || arg == "--username") {
            ok = take(o.username);
        } else if (arg == "-p" || arg == "--password") {
            std::string p;
            ok = take(p);
            o.password = p;
        } else if (arg == "-d" || arg == "--database") {
            ok = take(o.database);
        } else if (arg == "--access-mode") {
            std::string mode;
            ok = take(mode);
            if (ok && mode != "read" && mode != "write") {
                return bad("argument --access-mode: invalid choice: '" + mode + "' (choose from 'read', 'write')");
            }
            o.read_mode = mode == "read";
        } else if (arg == "--encryption") {
            ok = take(o.encryption);
            if (ok && o.encryption != "true" && o.encryption != "false" && o.encryption != "default") {
                return bad("argument --encryption: invalid choice: '" + o.encryption +
                           "' (choose from 'true', 'false', 'default')");
            }
        } else if (arg == "--format") {
            std::string f;
            ok = take(f);
            if (ok) {
                if (f == "table" || f == "verbose") {
                    o.format = Format::Table;
                } else if (f == "plain") {
                    o.format = Format::Plain;
                } else if (f == "auto") {
                    o.format.reset();
                } else {
                    return bad("argument --format: invalid choice: '" + f +
                               "' (choose from 'auto', 'table', 'verbose', 'plain')");
                }
            }
        } else if (arg == "-f" || arg == "--file") {
            std::string f;
            ok = take(f);
            o.file = f;
        } else if (arg == "-P" || arg == "--param") {
            std::string p;
            ok = take(p);
            if (ok) {
                auto params = parse_parameters(p);
                if (!params) {
                    return bad("argument -P: " + params.error().message);
                }
                for (auto& [k, v] : params.value()) {
                    o.params[k] = v;
                }
            }
        } else if (arg == "--fail-fast") {
            o.fail_at_end = false;
        } else if (arg == "--fail-at-end") {
            o.fail_at_end = true;
        } else if (arg == "--rate") {
            std::string r;
            ok = take(r);
            if (ok) {
                auto rate = parse_rate(r);
                if (!rate) {
                    return rate.error();
                }
                o.rate = rate.value();
            }
        } else if (arg == "--non-interactive") {
            o.non_interactive = true;
        } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            return bad("unrecognized argument: " + arg + " (see --help)");
        } else {
            positional.push_back(arg);
        }
        if (!ok) {
            return ok.error();
        }
    }
    if (positional.size() > 1) {
        return bad("unrecognized arguments: only one Cypher string may be given, found " +
                   std::to_string(positional.size()) + " (quote the query)");
    }
    if (!positional.empty()) {
        o.query = positional[0];
    }
    if (o.query && o.file) {
        return bad("a Cypher string and --file cannot be used together");
    }
    if (o.rate && !o.query && !o.file) {
        return bad("argument --rate: paces a Cypher string or --file only");
    }
    auto address = parse_address(o.address);
    if (!address) {
        return address.error();
    }
    auto tls = connection_tls(o, address.value());
    if (!tls) {
        return tls.error();
    }
    return out;
}

}  // namespace refhost::shell
