// examples/refhost/bolt/client.cpp: blocking Bolt client over POSIX sockets
// (poll() gives every wait its timeout).
#include "bolt/client.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace refhost::bolt {

namespace {

constexpr const char* kUnavailable = "ServiceUnavailable";
constexpr const char* kProtocol = "ProtocolError";

Error unavailable(const std::string& what) { return Error{kUnavailable, what, "08000"}; }
Error protocol(const std::string& what) { return Error{kProtocol, what, "08N06"}; }

int poll_timeout(std::chrono::milliseconds t) { return t.count() <= 0 ? -1 : static_cast<int>(t.count()); }

}  // namespace

Error error_from_failure(const Map& failure) {
    auto text = [&](const char* key) -> std::string {
        auto it = failure.find(key);
        if (it != failure.end() && it->second.is<std::string>()) {
            return it->second.as<std::string>();
        }
        return {};
    };
    std::string code = text("neo4j_code");
    if (code.empty()) {
        code = text("code");
    }
    std::string gql = text("gql_status");
    if (gql.empty()) {
        gql = gql_status_for(code);
    }
    return Error{code.empty() ? std::string("N/A") : code, text("message"), gql};
}

bool BoltClient::Batch::has_more() const {
    auto it = metadata.find("has_more");
    return it != metadata.end() && it->second == Value(true);
}

BoltClient::BoltClient(int fd, const ClientOptions& options)
    : fd_(fd), options_(options), decoder_(options.max_message_size) {}

BoltClient::~BoltClient() { close_socket(); }

void BoltClient::close_socket() {
    tls_.reset();
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Outcome<std::unique_ptr<BoltClient>> BoltClient::connect(const std::string& host, uint16_t port,
                                                        const ClientOptions& options) {
    std::string where = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    if (rc != 0) {
        return unavailable("Could not resolve " + where + ": " + gai_strerror(rc));
    }
    std::string last_error = "no address";
    int fd = -1;
    for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
        int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (s < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        if (::connect(s, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_error = std::strerror(errno);
            ::close(s);
            continue;
        }
        pollfd p{s, POLLOUT, 0};
        int ready = ::poll(&p, 1, poll_timeout(options.connect_timeout));
        int err = 0;
        socklen_t len = sizeof(err);
        if (ready <= 0) {
            last_error = ready == 0 ? "connection timed out" : std::strerror(errno);
            ::close(s);
            continue;
        }
        ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            last_error = std::strerror(err);
            ::close(s);
            continue;
        }
        int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fd = s;
    }
    ::freeaddrinfo(list);
    if (fd < 0) {
        return unavailable("Could not connect to " + where + ": " + last_error);
    }
    std::unique_ptr<BoltClient> client(new BoltClient(fd, options));
    if (options.tls) {
        auto channel = TlsChannel::open(fd, host, *options.tls, options.connect_timeout);
        if (!channel) {
            return channel.error();
        }
        client->tls_ = std::move(channel.value());
    }
    auto hs = client->handshake();
    if (!hs) {
        return hs.error();
    }
    return client;
}

Done BoltClient::write_all(std::span<const uint8_t> bytes) {
    if (fd_ < 0) {
        return unavailable("The connection is closed");
    }
    size_t pos = 0;
    while (pos < bytes.size()) {
        short wait = POLLOUT;
        ssize_t n = 0;
        if (tls_) {
            n = tls_->send(bytes.data() + pos, bytes.size() - pos, wait);
            if (n < 0 && wait == 0) {
                std::string why = tls_->error();
                close_socket();
                return unavailable("Connection lost while writing: " + why);
            }
        } else {
            n = ::send(fd_, bytes.data() + pos, bytes.size() - pos, MSG_NOSIGNAL);
        }
        if (n > 0) {
            pos += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && !tls_ && errno == EINTR) {
            continue;
        }
        if (n < 0 && (tls_ || errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_, wait, 0};
            int ready = ::poll(&p, 1, poll_timeout(options_.io_timeout));
            if (ready == 0) {
                close_socket();
                return unavailable("Timed out writing to the server after " +
                                   std::to_string(options_.io_timeout.count()) + " ms");
            }
            continue;
        }
        std::string why = std::strerror(errno);
        close_socket();
        return unavailable("Connection lost while writing: " + why);
    }
    return done();
}

Done BoltClient::read_more() {
    if (fd_ < 0) {
        return unavailable("The connection is closed");
    }
    uint8_t buf[65536];
    for (;;) {
        short wait = POLLIN;
        ssize_t n = 0;
        if (tls_) {
            n = tls_->recv(buf, sizeof(buf), wait);
            if (n < 0 && wait == 0) {
                std::string why = tls_->error();
                close_socket();
                return unavailable("Connection lost while reading: " + why);
            }
        } else {
            n = ::recv(fd_, buf, sizeof(buf), 0);
        }
        if (n > 0) {
            if (version_.major == 0) {
                raw_.insert(raw_.end(), buf, buf + n);
                return done();
            }
            std::vector<std::vector<uint8_t>> msgs;
            auto ok = decoder_.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n)), msgs);
            for (auto& m : msgs) {
                inbox_.push_back(std::move(m));
            }
            if (!ok) {
                close_socket();
                return protocol(ok.error().message);
            }
            return done();
        }
        if (n == 0) {
            close_socket();
            return unavailable("The server closed the connection");
        }
        if (!tls_ && errno == EINTR) {
            continue;
        }
        if (tls_ || errno == EAGAIN || errno == EWOULDBLOCK) {
            pollfd p{fd_, wait, 0};
            int ready = ::poll(&p, 1, poll_timeout(options_.io_timeout));
            if (ready == 0) {
                close_socket();
                return unavailable("Timed out waiting for the server after " +
                                   std::to_string(options_.io_timeout.count()) + " ms");
            }
            continue;
        }
        std::string why = std::strerror(errno);
        close_socket();
        return unavailable("Connection lost while reading: " + why);
    }
}

Done BoltClient::handshake() {
    auto offer = client_handshake(options_.offer_manifest, options_.max_version);
    auto w = write_all(offer);
    if (!w) {
        return w;
    }
    for (;;) {
        auto answer = read_server_answer(raw_, options_.max_version);
        if (!answer) {
            close_socket();
            return protocol(answer.error().message);
        }
        if (answer->has_value()) {
            version_ = (*answer)->version;
            std::vector<uint8_t> rest(raw_.begin() + static_cast<std::ptrdiff_t>((*answer)->consumed), raw_.end());
            raw_.clear();
            if (!(*answer)->reply.empty()) {
                auto r = write_all((*answer)->reply);
                if (!r) {
                    return r;
                }
            }
            if (!rest.empty()) {
                std::vector<std::vector<uint8_t>> msgs;
                if (!decoder_.feed(rest, msgs)) {
                    close_socket();
                    return protocol("malformed bytes after the handshake");
                }
                for (auto& m : msgs) {
                    inbox_.push_back(std::move(m));
                }
            }
            return done();
        }
        auto r = read_more();
        if (!r) {
            return r.error().code == kUnavailable && fd_ < 0
                       ? Done(unavailable("The server closed the connection during the handshake"))
                       : r;
        }
    }
}

Done BoltClient::send(uint8_t tag, const List& fields) {
    std::vector<uint8_t> out;
    append_message(out, tag, fields);
    return write_all(out);
}

Done BoltClient::send_bytes(std::span<const uint8_t> bytes) { return write_all(bytes); }

Outcome<Message> BoltClient::receive() {
    while (inbox_.empty()) {
        auto r = read_more();
        if (!r) {
            return r.error();
        }
    }
    std::vector<uint8_t> bytes = std::move(inbox_.front());
    inbox_.pop_front();
    auto m = decode_message(bytes);
    if (!m) {
        close_socket();
        return protocol(m.error().message);
    }
    return m;
}

Outcome<Map> BoltClient::summary_of(const char* request, std::vector<List>* records) {
    for (;;) {
        auto m = receive();
        if (!m) {
            return m.error();
        }
        switch (m->tag) {
            case msg::kRecord:
                if (records == nullptr || m->fields.size() != 1 || !m->fields[0].is<List>()) {
                    close_socket();
                    return protocol(std::string("unexpected RECORD in reply to ") + request);
                }
                records->push_back(std::move(m->fields[0].as<List>()));
                continue;
            case msg::kSuccess:
                if (m->fields.size() == 1 && m->fields[0].is<Map>()) {
                    return std::move(m->fields[0].as<Map>());
                }
                return Map{};
            case msg::kFailure:
                if (m->fields.size() == 1 && m->fields[0].is<Map>()) {
                    return Error(error_from_failure(m->fields[0].as<Map>()));
                }
                return Error(error_from_failure(Map{}));
            case msg::kIgnored:
                return Error{"Ignored", std::string(request) + " was ignored after an earlier failure", "50N42"};
            default:
                close_socket();
                return protocol("unexpected " + message_name(m->tag) + " in reply to " + request);
        }
    }
}

Done BoltClient::logon(const AuthToken& auth) {
    Map hello{{"user_agent", options_.user_agent}};
    if (options_.routing) {
        hello["routing"] = *options_.routing;
    }
    Map token{{"scheme", auth.scheme}};
    if (auth.scheme != "none") {
        token["principal"] = auth.principal;
        token["credentials"] = auth.credentials;
    }
    bool in_hello = version_ < BoltVersion{5, 1};
    if (in_hello) {
        for (auto& [k, v] : token) {
            hello[k] = v;
        }
    }
    std::vector<uint8_t> out;
    append_message(out, msg::kHello, {hello});
    if (!in_hello) {
        append_message(out, msg::kLogon, {token});
    }
    auto w = write_all(out);
    if (!w) {
        return w;
    }
    auto hello_reply = summary_of("HELLO");
    if (!hello_reply) {
        close_socket();
        return hello_reply.error();
    }
    server_metadata_ = std::move(hello_reply.value());
    if (!in_hello) {
        auto logon_reply = summary_of("LOGON");
        if (!logon_reply) {
            close_socket();
            return logon_reply.error();
        }
    }
    return done();
}

// Sends RESET after a FAILURE so the connection is usable again. When the
// server has closed the connection, there is nothing to reset.
Done BoltClient::reset() {
    auto s = send(msg::kReset, {});
    if (!s) {
        return s;
    }
    auto r = summary_of("RESET");
    if (!r) {
        return r.error();
    }
    return done();
}

namespace {
// The first error wins; a failed RESET only matters when nothing failed before.
template <typename T>
Outcome<T> after_reset(Outcome<T> result, BoltClient& c) {
    if (!result.ok() && c.is_open()) {
        (void)c.reset();
    }
    return result;
}
}  // namespace

Outcome<RoutingInfo> BoltClient::route(const std::string& database, const std::vector<std::string>& bookmarks) {
    Map routing = options_.routing.value_or(Map{});
    List bm(bookmarks.begin(), bookmarks.end());
    Map extra;
    if (!database.empty()) {
        extra["db"] = database;
    }
    auto s = send(msg::kRoute, {routing, bm, extra});
    if (!s) {
        return s.error();
    }
    auto reply = after_reset(summary_of("ROUTE"), *this);
    if (!reply) {
        return reply.error();
    }
    auto rt_it = reply->find("rt");
    if (rt_it == reply->end() || !rt_it->second.is<Map>()) {
        return protocol("ROUTE reply without a routing table");
    }
    const Map& rt = rt_it->second.as<Map>();
    RoutingInfo info;
    if (auto it = rt.find("ttl"); it != rt.end() && it->second.is<int64_t>()) {
        info.ttl_seconds = it->second.as<int64_t>();
    }
    if (auto it = rt.find("db"); it != rt.end() && it->second.is<std::string>()) {
        info.database = it->second.as<std::string>();
    }
    if (auto it = rt.find("servers"); it != rt.end() && it->second.is<List>()) {
        for (const auto& entry : it->second.as<List>()) {
            if (!entry.is<Map>()) {
                continue;
            }
            const Map& e = entry.as<Map>();
            auto role = e.find("role");
            auto addresses = e.find("addresses");
            if (role == e.end() || addresses == e.end() || !role->second.is<std::string>() ||
                !addresses->second.is<List>()) {
                continue;
            }
            std::vector<std::string>* target = nullptr;
            const std::string& r = role->second.as<std::string>();
            if (r == "WRITE") {
                target = &info.writers;
            } else if (r == "READ") {
                target = &info.readers;
            } else if (r == "ROUTE") {
                target = &info.routers;
            }
            if (target == nullptr) {
                continue;
            }
            target->clear();  // a repeated role replaces the earlier entry, as the driver does
            for (const auto& a : addresses->second.as<List>()) {
                if (a.is<std::string>()) {
                    target->push_back(a.as<std::string>());
                }
            }
        }
    }
    return info;
}

Outcome<Map> BoltClient::begin(const Map& extra) {
    auto s = send(msg::kBegin, {extra});
    if (!s) {
        return s.error();
    }
    return after_reset(summary_of("BEGIN"), *this);
}

Outcome<Map> BoltClient::run(const std::string& query, const Map& params, const Map& extra) {
    auto s = send(msg::kRun, {query, params, extra});
    if (!s) {
        return s.error();
    }
    return after_reset(summary_of("RUN"), *this);
}

Outcome<BoltClient::Batch> BoltClient::pull(int64_t n, int64_t qid) {
    Map extra{{"n", n}};
    if (qid != -1) {
        extra["qid"] = qid;
    }
    auto s = send(msg::kPull, {extra});
    if (!s) {
        return s.error();
    }
    Batch b;
    auto r = after_reset(summary_of("PULL", &b.records), *this);
    if (!r) {
        return r.error();
    }
    b.metadata = std::move(r.value());
    return b;
}

Outcome<Map> BoltClient::discard(int64_t n, int64_t qid) {
    Map extra{{"n", n}};
    if (qid != -1) {
        extra["qid"] = qid;
    }
    auto s = send(msg::kDiscard, {extra});
    if (!s) {
        return s.error();
    }
    return after_reset(summary_of("DISCARD"), *this);
}

Outcome<Map> BoltClient::commit() {
    auto s = send(msg::kCommit, {});
    if (!s) {
        return s.error();
    }
    return after_reset(summary_of("COMMIT"), *this);
}

Outcome<Map> BoltClient::rollback() {
    auto s = send(msg::kRollback, {});
    if (!s) {
        return s.error();
    }
    return after_reset(summary_of("ROLLBACK"), *this);
}

Outcome<ResultSet> BoltClient::run_all(const std::string& query, const Map& params, const Map& extra) {
    std::vector<uint8_t> out;
    append_message(out, msg::kRun, {query, params, extra});
    append_message(out, msg::kPull, {Map{{"n", int64_t{-1}}}});
    auto w = write_all(out);
    if (!w) {
        return w.error();
    }
    ResultSet rs;
    auto run_reply = summary_of("RUN");
    std::vector<List> records;
    auto pull_reply = summary_of("PULL", &records);
    if (!run_reply) {
        // PULL was IGNORED (or the connection is gone): report RUN's failure.
        if (is_open()) {
            (void)reset();
        }
        return run_reply.error();
    }
    if (!pull_reply) {
        if (is_open()) {
            (void)reset();
        }
        return pull_reply.error();
    }
    rs.run_metadata = std::move(run_reply.value());
    if (auto it = rs.run_metadata.find("fields"); it != rs.run_metadata.end() && it->second.is<List>()) {
        for (const auto& f : it->second.as<List>()) {
            rs.fields.push_back(f.is<std::string>() ? f.as<std::string>() : std::string());
        }
    }
    rs.records = std::move(records);
    rs.summary = std::move(pull_reply.value());
    return rs;
}

void BoltClient::goodbye() {
    if (fd_ >= 0) {
        (void)send(msg::kGoodbye, {});
        close_socket();
    }
}

}  // namespace refhost::bolt
