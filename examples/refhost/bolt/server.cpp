// examples/refhost/bolt/server.cpp: listeners, connections and their budget,
// running requests on the worker pool (parking those that wait for the
// write lock).
#include "bolt/server.hpp"

#include "bolt/chunking.hpp"
#include "bolt/connection_budget.hpp"
#include "bolt/bolt_stream.hpp"
#include "bolt/failure.hpp"
#include "bolt/handshake.hpp"
#include "bolt/message.hpp"
#include "bolt/worker_pool.hpp"

#include <ccdr_asio.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <atomic>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace refhost::bolt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

Outcome<HostPort> parse_host_port(const std::string& address) {
    auto bad = [&](const std::string& why) {
        return make_error(status::kInvalidArguments,
                          "invalid address '" + address + "': " + why + " (expected host:port)");
    };
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
        return bad("no port");
    }
    std::string host = address.substr(0, colon);
    std::string port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) {
        host = "localhost";
    }
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
        return bad("port '" + port + "' is not a number");
    }
    unsigned long p = std::stoul(port);
    if (p > 65535) {
        return bad("port " + port + " is above 65535");
    }
    return HostPort{host, static_cast<uint16_t>(p)};
}

namespace {

class Connection;

}  // namespace

// State shared by listeners and connections. Declared before the I/O
// context in Impl so that it outlives every handler.
struct BoltService::Impl {
    DbmsApi& dbms;
    cypher::Engine& engine;
    BoltServerOptions options;
    spdlog::logger& log;

    std::atomic<size_t> connections{0};
    std::atomic<uint64_t> next_connection_id{1};
    std::mutex registry_mu;
    std::map<uint64_t, std::weak_ptr<Connection>> registry;
    ConnectionBudget budget;
    std::atomic<uint64_t> shed_count{0};

    // The I/O context is declared before the worker pool, so the pool goes
    // first: a request posted to the pool after stop() joined it is
    // destroyed with the pool, and its Connection's socket, timer and strand
    // belong to `io`, which must still exist then (ThreadSanitizer: "use of
    // an invalid mutex" in ~strand_impl when `io` went first).
    asio::io_context io;
    WorkerPool workers;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::vector<std::thread> io_threads;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::vector<std::unique_ptr<asio::steady_timer>> accept_retry;
    std::vector<tcp::endpoint> endpoints;
    bool started = false;
    bool listeners_closed = false;
    bool stopped = false;

    Impl(DbmsApi& d, cypher::Engine& e, BoltServerOptions o)
        : dbms(d),
          engine(e),
          options(o),
          log(o.logger != nullptr ? *o.logger : *spdlog::default_logger_raw()),
          budget(ConnectionBudget::Limits{o.max_connections, o.max_unauthenticated_connections, o.silent_grace}),
          workers(std::max<size_t>(1, o.worker_threads)) {}

    void accept(size_t server);
    void admit(size_t server, tcp::socket socket);
    void close_connection(uint64_t id, const char* reason);
};

namespace {

using Clock = std::chrono::steady_clock;
using Batch = std::deque<std::vector<uint8_t>>;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, BoltService::Impl& service, size_t server, uint64_t id)
        : stream_(std::move(socket), service.options.tls_context, service.options.tls_level),
          timer_(stream_.get_executor()),
          service_(service),
          server_(server),
          id_(id),
          decoder_(service.options.max_message_size),
          auth_deadline_(Clock::now() + service.options.unauthenticated_timeout) {
        error_code ec;
        auto peer = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            client_address_ = peer.address().to_string() + ":" + std::to_string(peer.port());
        }
    }

    ~Connection() {
        session_.reset();  // rolls back an open transaction
        {
            std::lock_guard<std::mutex> l(service_.registry_mu);
            service_.registry.erase(id_);
        }
        service_.budget.closed(id_);
        --service_.connections;
    }

    void start() {
        error_code ec;
        stream_.socket().set_option(tcp::no_delay(true), ec);  // small responses must not wait for Nagle
        arm_auth_deadline();
        // Plaintext or TLS first (bolt_stream.hpp); the Bolt handshake follows.
        stream_.start([self = shared_from_this()](const error_code& ec, const std::string& why) {
            if (ec) {
                self->service_.log.info("bolt-{}: {} ({})", self->id_, why, self->client_address_);
                self->close("no TLS");
                return;
            }
            if (self->stream_.plaintext_refused()) {
                self->service_.log.warn("bolt-{}: refused a plaintext client at {} (server.bolt.tls_level=REQUIRED)",
                                        self->id_, self->client_address_);
            }
            self->read();
        });
    }

    // Any thread: closes on the connection's strand.
    void close_from_outside(const char* reason) {
        asio::post(stream_.get_executor(), [self = shared_from_this(), reason] { self->close(reason); });
    }

private:
    enum class Phase { Handshake, ManifestChoice, Messages, Closed };

    void close(const char* reason) {
        if (phase_ == Phase::Closed) {
            return;
        }
        service_.log.debug("bolt-{}: closing ({})", id_, reason);
        phase_ = Phase::Closed;
        closed_.store(true);
        ++timer_generation_;
        timer_.cancel();
        std::lock_guard<std::mutex> l(direct_mu_);  // a worker's direct write is not on this descriptor now
        stream_.close();
    }

    // --- deadlines -----------------------------------------------------------
    // One timer; a newer deadline replaces the older (the generation tells a
    // stale expiry from a live one).
    void arm_timer_at(Clock::time_point when, const char* what) {
        if (phase_ == Phase::Closed) {
            return;  // a pending wait would keep the closed connection alive
        }
        uint64_t gen = ++timer_generation_;
        timer_.expires_at(when);
        timer_.async_wait([self = shared_from_this(), gen, what](const error_code& ec) {
            if (!ec && gen == self->timer_generation_) {
                self->close(what);
            }
        });
    }
    void arm_timer(std::chrono::milliseconds after, const char* what) { arm_timer_at(Clock::now() + after, what); }
    // Until authenticated, every wait ends at the same deadline.
    void arm_auth_deadline() { arm_timer_at(auth_deadline_, "not authenticated in time"); }

    void disarm_timer() {
        ++timer_generation_;
        timer_.cancel();
    }

    // --- input -----------------------------------------------------------------
    void read() {
        if (reading_ || phase_ == Phase::Closed || queued_bytes_ >= service_.options.max_queued_bytes ||
            input_error_) {
            return;
        }
        reading_ = true;
        stream_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& ec, size_t n) {
            self->reading_ = false;
            if (ec) {
                self->close(ec == asio::error::eof ? "client closed" : "read error");
                return;
            }
            self->on_bytes(std::span<const uint8_t>(self->buffer_.data(), n));
            self->read();
        });
    }

    void on_bytes(std::span<const uint8_t> bytes) {
        switch (phase_) {
            case Phase::Handshake:
                on_handshake(bytes);
                return;
            case Phase::ManifestChoice:
                on_manifest_choice(bytes);
                return;
            case Phase::Messages:
                on_messages(bytes);
                return;
            case Phase::Closed:
                return;
        }
    }

    void on_handshake(std::span<const uint8_t> bytes) {
        size_t take = std::min(bytes.size(), kHandshakeSize - pending_.size());
        pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
        if (pending_.size() < kHandshakeSize) {
            return;
        }
        auto reply = answer_handshake(pending_);
        pending_.clear();
        if (!reply) {
            close("not a Bolt client");
            return;
        }
        service_.budget.handshaken(id_);  // it speaks Bolt: never shed for a newcomer
        auto rest = bytes.subspan(take);
        switch (reply->kind) {
            case HandshakeReply::Kind::NoVersion:
                send(std::move(reply->bytes), true);
                return;
            case HandshakeReply::Kind::Version:
                begin_session(reply->version);
                send(std::move(reply->bytes), false);
                on_bytes(rest);
                return;
            case HandshakeReply::Kind::Manifest:
                phase_ = Phase::ManifestChoice;
                send(std::move(reply->bytes), false);  // the whole manifest in one write
                on_bytes(rest);
                return;
        }
    }

    void on_manifest_choice(std::span<const uint8_t> bytes) {
        pending_.insert(pending_.end(), bytes.begin(), bytes.end());
        auto choice = read_manifest_choice(pending_);
        if (!choice) {
            close("bad manifest choice");
            return;
        }
        if (!choice->has_value()) {
            if (pending_.size() > 16) {
                close("bad manifest choice");
            }
            return;
        }
        std::vector<uint8_t> rest(pending_.begin() + static_cast<std::ptrdiff_t>((*choice)->consumed), pending_.end());
        pending_.clear();
        begin_session((*choice)->version);
        on_bytes(rest);
    }

    void begin_session(BoltVersion v) {
        phase_ = Phase::Messages;
        session_ = std::make_unique<BoltSession>(service_.dbms, service_.engine, server_, v,
                                                 "bolt-" + std::to_string(id_), service_.options.session,
                                                 client_address_, waker());
    }

    void on_messages(std::span<const uint8_t> bytes) {
        std::vector<std::vector<uint8_t>> complete;
        auto ok = decoder_.feed(bytes, complete);
        for (auto& m : complete) {
            queued_bytes_ += m.size();
            queue_.push_back(std::move(m));
        }
        if (!ok) {
            input_error_ = ok.error();
        }
        next();
    }

    // --- running requests --------------------------------------------------------
    // The session's wake, from any thread. A parked request goes straight
    // back to a worker (urgent: it was just granted the write lock, and
    // every other writer waits for its COMMIT), without a trip through the
    // strand; any other wake (a termination to roll back) is the strand's.
    std::function<void()> waker() {
        return [weak = weak_from_this()] {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            Batch held;
            bool resume_now = false;
            {
                std::lock_guard<std::mutex> l(self->park_mu_);
                if (self->parked_) {
                    self->parked_ = false;
                    held = std::move(self->held_);
                    resume_now = true;
                } else {
                    self->wake_early_ = true;
                }
            }
            if (resume_now) {
                self->post_job(std::move(held), true, true);  // still busy_: nothing else ran meanwhile
                return;
            }
            asio::post(self->stream_.get_executor(), [self] { self->on_wake(); });
        };
    }

    // On the strand: a wake that found nothing parked (a termination to roll
    // back while idle, or a grant that came before the request parked).
    void on_wake() {
        {
            std::lock_guard<std::mutex> l(park_mu_);
            if (!wake_early_) {
                return;  // a parked request took it
            }
            wake_early_ = false;
        }
        wake_pending_ = true;
        next();
    }

    // Runs the queued requests on the worker pool, unless a batch is running
    // (or parked) or responses are being written. Every request received so
    // far goes in one batch (pipelined RUN and PULL cost one trip to the pool
    // and one write), handled in order until one asks to close or parks.
    void next() {
        if (busy_ || writing_ || phase_ != Phase::Messages) {
            return;
        }
        if (stream_.plaintext_refused() && !queue_.empty()) {
            refuse_plaintext();
            return;
        }
        if (queue_.empty() && !wake_pending_) {
            if (input_error_) {
                std::vector<uint8_t> out;
                append_message(out, msg::kFailure, List{Value(failure_metadata(*input_error_, session_->version()))});
                send(std::move(out), true);
            }
            return;
        }
        Batch batch = std::move(queue_);
        queue_.clear();
        queued_bytes_ = 0;
        bool resume = wake_pending_;
        wake_pending_ = false;
        read();  // the queue has room again
        run(std::move(batch), resume);
    }

    void run(Batch batch, bool resume) {
        busy_ = true;
        disarm_timer();  // a running query has no deadline here, nor a lock wait
        // A transaction holding (or just granted) the write lock goes first:
        // every other writer waits for its next request. So does a LOGON: a
        // client must not stay in the unauthenticated budget behind queries.
        // Nothing is written now (next() checked), so the worker may write
        // the answer itself: on a plaintext connection that is authenticated
        // (done() has nothing to decide about it before the answer leaves).
        // Only this caller may pass direct: the resumes of a parked
        // request (on_wake, done()) can run while a write is in flight.
        assert(!writing_);
        const bool direct = authenticated_ && !stream_.encrypted() && phase_ == Phase::Messages;
        post_job(std::move(batch), resume, resume || !authenticated_ || session_->urgent(), direct);
    }

    // On the worker, with busy_ set and nothing being written: as much of
    // `out` as the socket takes now (never blocks), removed from `out`; the
    // rest goes through send() on the strand. Why: the answer leaves without
    // waiting for an I/O thread to be scheduled; the strand's turn (done())
    // still follows, off the client's round trip. Under load on two cores
    // that wait was most of a short query's round trip (the lag poll of
    // test/bench/vs-postgres, docs/benchmarks.md).
    void write_directly(std::vector<uint8_t>& out) {
        std::lock_guard<std::mutex> l(direct_mu_);
        if (closed_.load()) {
            return;
        }
        const int fd = stream_.socket().native_handle();
        size_t sent = 0;
        while (sent < out.size()) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            break;  // full (EAGAIN) or an error: the strand's write finishes or reports it
        }
        out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sent));
    }

    // Any thread, with busy_ set: runs the session on a worker, then hands
    // the output back to the strand.
    void post_job(Batch batch, bool resume, bool urgent, bool direct = false) {
        service_.workers.post(
            [self = shared_from_this(), batch = std::move(batch), resume, direct]() mutable {
                std::vector<uint8_t> out;
                auto after = BoltSession::After::Continue;
                if (!self->closed_.load()) {  // closed meanwhile (a stop): nothing more runs
                    if (resume) {
                        after = self->session_->resume(out);
                    }
                    while (after == BoltSession::After::Continue && !batch.empty()) {
                        after = self->session_->handle(batch.front(), out);
                        batch.pop_front();
                    }
                }
                if (direct && after == BoltSession::After::Continue && !out.empty()) {
                    self->write_directly(out);
                }
                asio::post(self->stream_.get_executor(),
                           [self, out = std::move(out), after, rest = std::move(batch)]() mutable {
                               self->done(std::move(out), after, std::move(rest));
                           });
            },
            urgent);
    }

    // On the strand: a batch ended, closed the connection, or parked.
    void done(std::vector<uint8_t> out, BoltSession::After after, Batch rest) {
        if (phase_ == Phase::Closed) {
            busy_ = false;
            return;
        }
        if (!authenticated_ && session_->state() != SessionState::Negotiation &&
            session_->state() != SessionState::Authentication && session_->state() != SessionState::Defunct) {
            if (!service_.budget.authenticated(id_)) {
                service_.log.warn("Bolt server {}: closing bolt-{} at LOGON: {} authenticated connections are open "
                                  "(the limit)",
                                  server_ + 1, id_, service_.budget.limits().max_authenticated);
                busy_ = false;
                close("connection limit");
                return;
            }
            authenticated_ = true;
        }
        if (after == BoltSession::After::Park) {
            // The session waits for the write lock: hold what followed,
            // unless the grant came already.
            bool resume = wake_pending_;
            wake_pending_ = false;
            {
                std::lock_guard<std::mutex> l(park_mu_);
                resume = resume || wake_early_;
                wake_early_ = false;
                if (!resume) {
                    held_ = std::move(rest);
                    parked_ = true;
                }
            }
            if (!out.empty()) {
                send(std::move(out), false);
            }
            if (resume) {
                post_job(std::move(rest), true, true);
            }
            return;
        }
        busy_ = false;
        bool close_after = after == BoltSession::After::Close;
        if (out.empty()) {
            if (close_after) {
                close("GOODBYE or protocol violation");
                return;
            }
            idle();
            return;
        }
        send(std::move(out), close_after);
    }

    // Nothing runs and nothing is written: wait for the next request, for at
    // most the idle timeout (the authentication deadline until then).
    void idle() {
        if (busy_ || writing_ || phase_ != Phase::Messages) {
            return;  // a parked request waits without a deadline here
        }
        if (queue_.empty() && !input_error_ && !wake_pending_) {
            if (authenticated_) {
                arm_timer(service_.options.idle_timeout, "idle timeout");
            } else {
                arm_auth_deadline();
            }
        }
        next();
    }

    // tls_level REQUIRED and a plaintext client: a 5.1+ client's HELLO (it
    // carries no credentials) gets its usual SUCCESS, and the message after
    // it, LOGON, the refusal, so that drivers report it as they report a
    // refused login; a 5.0 client's HELLO (credentials inside, never looked
    // at) gets the refusal itself. Then the connection closes.
    void refuse_plaintext() {
        std::vector<uint8_t> out;
        while (!queue_.empty() && session_->state() == SessionState::Negotiation &&
               session_->version() >= BoltVersion{5, 1}) {
            std::vector<uint8_t> hello = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= hello.size();
            if (session_->handle(hello, out) == BoltSession::After::Close) {
                send(std::move(out), true);
                return;
            }
        }
        if (queue_.empty()) {
            send(std::move(out), false);  // HELLO answered; LOGON comes next
            return;
        }
        Error refused = make_error(status::kUnauthorized, plaintext_refused_message());
        append_message(out, msg::kFailure, List{Value(failure_metadata(refused, session_->version()))});
        queue_.clear();
        queued_bytes_ = 0;
        send(std::move(out), true);
    }

    // --- output --------------------------------------------------------------------
    // One write at a time; bytes that come meanwhile follow it.
    void send(std::vector<uint8_t> bytes, bool close_after) {
        if (writing_) {
            out_pending_.insert(out_pending_.end(), bytes.begin(), bytes.end());
            close_after_pending_ = close_after_pending_ || close_after;
            return;
        }
        writing_ = true;
        arm_timer(service_.options.write_timeout, "write timeout");
        auto data = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
        stream_.async_write(asio::buffer(*data),
                          [self = shared_from_this(), data, close_after](const error_code& ec, size_t) {
                              self->writing_ = false;
                              if (self->phase_ == Phase::Closed) {
                                  return;
                              }
                              if (ec) {
                                  self->close("write error");
                                  return;
                              }
                              if (close_after) {
                                  self->close("closing after the response");
                                  return;
                              }
                              if (!self->out_pending_.empty()) {
                                  std::vector<uint8_t> more;
                                  more.swap(self->out_pending_);
                                  bool close_more = self->close_after_pending_;
                                  self->close_after_pending_ = false;
                                  self->send(std::move(more), close_more);
                                  return;
                              }
                              if (self->phase_ == Phase::Messages) {
                                  if (self->busy_) {
                                      self->disarm_timer();  // parked: the lock wait has its own deadline
                                  } else {
                                      self->idle();
                                  }
                              } else {
                                  self->arm_auth_deadline();
                              }
                          });
    }

    BoltStream stream_;  // plaintext or TLS (bolt_stream.hpp)
    asio::steady_timer timer_;
    BoltService::Impl& service_;
    size_t server_;
    uint64_t id_;
    std::string client_address_;
    Phase phase_ = Phase::Handshake;
    std::atomic<bool> closed_{false};  // read by workers
    std::mutex direct_mu_;             // a worker's direct write against close()
    std::array<uint8_t, 16384> buffer_{};
    std::vector<uint8_t> pending_;  // handshake bytes so far
    ChunkDecoder decoder_;
    Batch queue_;
    size_t queued_bytes_ = 0;
    std::optional<Error> input_error_;
    Clock::time_point auth_deadline_;
    bool authenticated_ = false;
    bool reading_ = false;
    bool writing_ = false;
    bool busy_ = false;         // a batch runs on a worker, or one is parked
    bool wake_pending_ = false; // strand: a wake to handle when the batch ends
    // A parked request and what came after it, shared with the waker.
    std::mutex park_mu_;
    bool parked_ = false;       // the session waits for the write lock; held_ waits behind it
    bool wake_early_ = false;   // a wake that found nothing parked
    Batch held_;
    std::vector<uint8_t> out_pending_;
    bool close_after_pending_ = false;
    uint64_t timer_generation_ = 0;
    std::unique_ptr<BoltSession> session_;  // touched only by the worker running its request
};

}  // namespace

// --- listeners and the connection budget ---------------------------------------------

void BoltService::Impl::accept(size_t server) {
    tcp::acceptor& acceptor = *acceptors[server];
    acceptor.async_accept(asio::make_strand(io), [this, server](const error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptors[server]->is_open()) {
            return;
        }
        if (ec) {
            // Out of file descriptors, most likely: retry shortly rather
            // than spin; the connections that exist go on.
            log.warn("Bolt server {}: accept failed: {}", server + 1, ec.message());
            accept_retry[server]->expires_after(std::chrono::milliseconds(100));
            accept_retry[server]->async_wait([this, server](const error_code& e) {
                if (!e && acceptors[server]->is_open()) {
                    accept(server);
                }
            });
            return;
        }
        admit(server, std::move(socket));
        accept(server);
    });
}

void BoltService::Impl::admit(size_t server, tcp::socket socket) {
    uint64_t id = next_connection_id++;
    auto admission = budget.admit(id);
    if (!admission.admitted) {
        log.warn("Bolt server {}: refusing a connection, {} are open (the limit)", server + 1, connections.load());
        error_code ignored;
        socket.close(ignored);
        return;
    }
    if (admission.shed != 0) {
        // The unauthenticated budget is full: the oldest silent socket goes.
        uint64_t n = ++shed_count;
        if (n == 1 || n % 1000 == 0) {
            log.warn("Bolt server {}: {} unauthenticated connections are open (the limit); closing the oldest "
                     "({} so far)",
                     server + 1, options.max_unauthenticated_connections, n);
        }
        close_connection(admission.shed, "unauthenticated connection budget full");
    }
    ++connections;
    auto c = std::make_shared<Connection>(std::move(socket), *this, server, id);
    {
        std::lock_guard<std::mutex> l(registry_mu);
        registry[id] = c;
    }
    c->start();
}

void BoltService::Impl::close_connection(uint64_t id, const char* reason) {
    std::shared_ptr<Connection> c;
    {
        std::lock_guard<std::mutex> l(registry_mu);
        auto it = registry.find(id);
        if (it != registry.end()) {
            c = it->second.lock();
        }
    }
    if (c) {
        c->close_from_outside(reason);
    }
}

BoltService::BoltService(DbmsApi& dbms, cypher::Engine& engine, BoltServerOptions options)
    : impl_(std::make_unique<Impl>(dbms, engine, options)) {}

BoltService::~BoltService() { stop(); }

Done BoltService::start() {
    Impl& s = *impl_;
    if (s.started) {
        return make_error(status::kUnknownError, "the Bolt service is already started");
    }
    if (s.options.tls_level != TlsLevel::Disabled && !s.options.tls_context) {
        return make_error(status::kUnknownError, std::string("server.bolt.tls_level=") +
                                                     tls_level_name(s.options.tls_level) +
                                                     " needs the bolt SSL policy (dbms.ssl.policy.bolt.enabled=true)");
    }
    tcp::resolver resolver(s.io);
    for (size_t i = 0; i < s.dbms.server_count(); ++i) {
        std::string address = s.dbms.server_bolt_address(i);
        auto fail = [&](const std::string& why) {
            s.acceptors.clear();
            s.accept_retry.clear();
            s.endpoints.clear();
            return make_error(status::kUnknownError,
                              "Bolt server " + std::to_string(i + 1) + " cannot listen on " + address + ": " + why);
        };
        auto hp = parse_host_port(address);
        if (!hp) {
            return fail(hp.error().message);
        }
        error_code ec;
        auto results = resolver.resolve(hp->host, std::to_string(hp->port), tcp::resolver::passive, ec);
        if (ec || results.empty()) {
            return fail("cannot resolve '" + hp->host + "'" + (ec ? ": " + ec.message() : std::string()));
        }
        // Prefer IPv4: "localhost" means 127.0.0.1 to the tests and the drivers.
        tcp::endpoint endpoint = results.begin()->endpoint();
        for (const auto& r : results) {
            if (r.endpoint().address().is_v4()) {
                endpoint = r.endpoint();
                break;
            }
        }
        auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(s.io));
        acceptor->open(endpoint.protocol(), ec);
        if (!ec) {
            acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        }
        if (!ec) {
            acceptor->bind(endpoint, ec);
        }
        if (!ec) {
            acceptor->listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            return fail(ec.message());
        }
        s.endpoints.push_back(acceptor->local_endpoint());
        s.accept_retry.push_back(std::make_unique<asio::steady_timer>(acceptor->get_executor()));
        s.acceptors.push_back(std::move(acceptor));
    }
    s.started = true;
    for (size_t i = 0; i < s.endpoints.size(); ++i) {
        s.log.info("Bolt enabled on {} (server {}, TLS {})", address(i), i + 1, tls_level_name(s.options.tls_level));
    }
    s.guard.emplace(s.io.get_executor());
    for (size_t i = 0; i < s.acceptors.size(); ++i) {
        s.accept(i);
    }
    for (size_t t = 0; t < std::max<size_t>(1, s.options.io_threads); ++t) {
        s.io_threads.emplace_back([&s] { s.io.run(); });
    }
    return done();
}

void BoltService::close_listeners() {
    Impl& s = *impl_;
    if (!s.started || s.listeners_closed) {
        return;
    }
    s.listeners_closed = true;
    for (size_t i = 0; i < s.acceptors.size(); ++i) {
        asio::post(s.acceptors[i]->get_executor(), [&acceptor = *s.acceptors[i], &retry = *s.accept_retry[i]] {
            error_code ec;
            acceptor.close(ec);
            retry.cancel();
        });
    }
}

void BoltService::stop() {
    Impl& s = *impl_;
    if (!s.started || s.stopped) {
        return;
    }
    close_listeners();
    s.stopped = true;
    // Collected under the lock, released outside it: dropping the last
    // reference runs ~Connection, which takes the lock itself.
    std::vector<std::shared_ptr<Connection>> open;
    {
        std::lock_guard<std::mutex> l(s.registry_mu);
        for (auto& [id, weak] : s.registry) {
            if (auto c = weak.lock()) {
                open.push_back(std::move(c));
            }
        }
    }
    for (auto& c : open) {
        c->close_from_outside("server stopping");
    }
    open.clear();
    // Requests queued for closed connections are skipped; a running one
    // finishes (none waits for a lock) and finds its connection closed.
    s.workers.join();
    s.guard.reset();
    // With every socket and timer closed the I/O threads run out of work;
    // a handler that never completes must not hang the shutdown.
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (s.connections.load() > 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.io.stop();
    for (auto& t : s.io_threads) {
        t.join();
    }
    s.io_threads.clear();
}

uint16_t BoltService::port(size_t server) const { return impl_->endpoints.at(server).port(); }

std::string BoltService::address(size_t server) const {
    const auto& e = impl_->endpoints.at(server);
    std::string host = e.address().to_string();
    if (e.address().is_v6()) {
        host = "[" + host + "]";
    }
    return host + ":" + std::to_string(e.port());
}

size_t BoltService::open_connections() const { return impl_->connections.load(); }

size_t BoltService::unauthenticated_connections() const { return impl_->budget.unauthenticated(); }

}  // namespace refhost::bolt
