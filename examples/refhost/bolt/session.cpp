// examples/refhost/bolt/session.cpp: the Bolt server state machine.
#include "bolt/session.hpp"

#include "bolt/failure.hpp"
#include "bolt/query_kind.hpp"

#include <exception>
#include <string>
#include <utility>

namespace refhost::bolt {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const status::Code& kInvalid = status::kRequestInvalid;
constexpr const char* kSystem = "system";

int64_t millis(std::chrono::nanoseconds d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// Field access with errors that name the message, the field and the type.
template <typename T>
const T* field_as(const Map& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? nullptr : it->second.get_if<T>();
}

bool present(const Map& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && !it->second.is_null();
}

Error field_error(const std::string& msg, const std::string& what) {
    return make_error(kInvalid, "Invalid " + msg + " message: " + what);
}

Outcome<Map> map_arg(const Message& m, size_t i, const char* what) {
    if (i >= m.fields.size()) {
        return field_error(message_name(m.tag), std::string("missing field ") + what);
    }
    if (m.fields[i].is_null()) {
        return Map{};
    }
    if (const auto* p = m.fields[i].get_if<Map>()) {
        return *p;
    }
    return field_error(message_name(m.tag), std::string(what) + " must be a Map");
}

Outcome<std::vector<std::string>> string_list(const Map& m, const char* key, const std::string& msg) {
    std::vector<std::string> out;
    if (!present(m, key)) {
        return out;
    }
    const auto* l = field_as<List>(m, key);
    if (l == nullptr) {
        return field_error(msg, std::string(key) + " must be a List of Strings");
    }
    for (const auto& v : *l) {
        const auto* s = v.get_if<std::string>();
        if (s == nullptr) {
            return field_error(msg, std::string(key) + " must be a List of Strings");
        }
        out.push_back(*s);
    }
    return out;
}

size_t expected_field_count(uint8_t tag) {
    switch (tag) {
        case msg::kRun:
            return 3;
        case msg::kRoute:
            return 3;
        case msg::kHello:
        case msg::kLogon:
        case msg::kBegin:
        case msg::kPull:
        case msg::kDiscard:
        case msg::kTelemetry:
            return 1;
        default:
            return 0;
    }
}

bool known_request(uint8_t tag, BoltVersion v) {
    switch (tag) {
        case msg::kHello:
        case msg::kGoodbye:
        case msg::kReset:
        case msg::kRun:
        case msg::kBegin:
        case msg::kCommit:
        case msg::kRollback:
        case msg::kDiscard:
        case msg::kPull:
        case msg::kRoute:
            return true;
        case msg::kLogon:
        case msg::kLogoff:
            return v >= BoltVersion{5, 1};
        case msg::kTelemetry:
            return v >= BoltVersion{5, 4};
        default:
            return false;
    }
}

std::string valid_type(const std::string& t) {
    // The driver refuses any other summary type with a ProtocolError.
    if (t == "r" || t == "w" || t == "rw" || t == "s") {
        return t;
    }
    return "r";
}

}  // namespace

const char* state_name(SessionState s) {
    switch (s) {
        case SessionState::Negotiation:
            return "NEGOTIATION";
        case SessionState::Authentication:
            return "AUTHENTICATION";
        case SessionState::Ready:
            return "READY";
        case SessionState::Streaming:
            return "STREAMING";
        case SessionState::TxReady:
            return "TX_READY";
        case SessionState::TxStreaming:
            return "TX_STREAMING";
        case SessionState::Failed:
            return "FAILED";
        case SessionState::Defunct:
            return "DEFUNCT";
    }
    return "?";
}

BoltSession::BoltSession(DbmsApi& dbms, cypher::Engine& engine, size_t server, BoltVersion version,
                         std::string connection_id, SessionOptions options, std::string client_address,
                         std::function<void()> wake)
    : dbms_(dbms),
      engine_(engine),
      server_(server),
      version_(version),
      connection_id_(std::move(connection_id)),
      options_(options),
      client_address_(std::move(client_address)),
      wake_(std::move(wake)) {}

BoltSession::~BoltSession() { clean_up(); }

void BoltSession::clean_up() {
    parked_.reset();
    terminated_.reset();
    auto_result_.reset();
    if (auto_tx_) {
        auto_tx_->rollback();
        auto_tx_.reset();
    }
    tx_results_.clear();
    if (tx_) {
        tx_->rollback();
        tx_.reset();
    }
    tx_database_.clear();
}

void BoltSession::success(std::vector<uint8_t>& out, Map metadata) {
    append_message(out, msg::kSuccess, List{Value(std::move(metadata))});
}

void BoltSession::fail(std::vector<uint8_t>& out, const Error& error) {
    clean_up();
    append_message(out, msg::kFailure, List{Value(failure_metadata(error, version_))});
    state_ = SessionState::Failed;
}

void BoltSession::invalid(std::vector<uint8_t>& out, const Message& m) {
    fail(out, make_error(kInvalid, "Message '" + message_name(m.tag) + "' cannot be handled by a session in the " +
                                       state_name(state_) + " state."));
}

BoltSession::After BoltSession::handle(std::span<const uint8_t> request, std::vector<uint8_t>& out) {
    DecodeLimits limits;
    limits.allow_graph_types = false;
    auto m = decode_message(request, limits);
    if (!m) {
        // The stream can no longer be trusted: tell the client why and close.
        fail(out, m.error());
        state_ = SessionState::Defunct;
        return After::Close;
    }
    return handle(m.value(), out);
}

BoltSession::After BoltSession::handle(const Message& m, std::vector<uint8_t>& out) {
    After after = After::Continue;
    try {
        if (parked_) {
            // The connection holds requests while one is parked; a request
            // now would overtake it.
            fail(out, make_error(status::kRequestInvalid,
                                 "Message '" + message_name(m.tag) + "' arrived while a RUN waits for the write lock."));
        } else {
            after = dispatch(m, out);
        }
    } catch (const std::exception& e) {
        // Whatever went wrong below, the client gets a FAILURE and the server goes on.
        fail(out, make_error(status::kUnknownError,
                             "Unexpected error while handling " + message_name(m.tag) + ": " + e.what()));
        after = After::Continue;
    }
    update_urgency();
    return after;
}

BoltSession::After BoltSession::resume(std::vector<uint8_t>& out) {
    After after = After::Continue;
    try {
        if (parked_) {
            PendingRun run = std::move(*parked_);
            parked_.reset();
            after = execute_run(std::move(run), out);
        } else {
            apply_termination();
        }
    } catch (const std::exception& e) {
        fail(out, make_error(status::kUnknownError,
                             std::string("Unexpected error while resuming a request: ") + e.what()));
        after = After::Continue;
    }
    update_urgency();
    return after;
}

std::optional<Error> BoltSession::termination() const {
    if (terminated_) {
        return terminated_;
    }
    if (tx_) {
        if (auto t = tx_->termination()) {
            return t;
        }
    }
    if (auto_tx_) {
        return auto_tx_->termination();
    }
    return std::nullopt;
}

void BoltSession::apply_termination() {
    if (terminated_) {
        return;
    }
    auto why = termination();
    if (!why) {
        return;
    }
    // Roll back now, not at the client's next request: a terminated
    // transaction must let go of the write lock at once.
    auto_result_.reset();
    if (auto_tx_) {
        auto_tx_->rollback();
    }
    tx_results_.clear();
    if (tx_) {
        tx_->rollback();
    }
    terminated_ = std::move(why);
}

void BoltSession::update_urgency() {
    bool urgent = (tx_ && tx_->holds_write_lock()) || (auto_tx_ && auto_tx_->holds_write_lock());
    urgent_.store(urgent, std::memory_order_relaxed);
}

BoltSession::After BoltSession::dispatch(const Message& m, std::vector<uint8_t>& out) {
    if (state_ == SessionState::Defunct) {
        return After::Close;
    }
    if (m.tag == msg::kGoodbye) {
        clean_up();
        state_ = SessionState::Defunct;
        return After::Close;
    }
    if (!known_request(m.tag, version_)) {
        fail(out, make_error(kInvalid, "Message " + message_name(m.tag) + " is not a request of Bolt " +
                                           version_.to_string()));
        state_ = SessionState::Defunct;
        return After::Close;
    }
    if (state_ == SessionState::Failed) {
        if (m.tag == msg::kReset) {
            on_reset(out);
        } else {
            append_message(out, msg::kIgnored, {});
        }
        return After::Continue;
    }
    if (m.fields.size() != expected_field_count(m.tag)) {
        fail(out, make_error(kInvalid, "Message " + message_name(m.tag) + " has " + std::to_string(m.fields.size()) +
                                           " fields, " + std::to_string(expected_field_count(m.tag)) + " expected"));
        if (state_ == SessionState::Negotiation || state_ == SessionState::Authentication) {
            state_ = SessionState::Defunct;
            return After::Close;
        }
        return After::Continue;
    }

    switch (state_) {
        case SessionState::Negotiation:
            if (m.tag == msg::kHello) {
                return on_hello(m, out);
            }
            invalid(out, m);
            state_ = SessionState::Defunct;
            return After::Close;
        case SessionState::Authentication:
            if (m.tag == msg::kLogon) {
                return on_logon(m, out);
            }
            invalid(out, m);
            state_ = SessionState::Defunct;
            return After::Close;
        default:
            break;
    }

    const bool ready = state_ == SessionState::Ready;
    const bool in_tx = state_ == SessionState::TxReady || state_ == SessionState::TxStreaming;
    const bool uses_tx = m.tag == msg::kRun || m.tag == msg::kPull || m.tag == msg::kDiscard || m.tag == msg::kCommit;
    if ((in_tx || state_ == SessionState::Streaming) && uses_tx) {
        // The transaction was terminated (TERMINATE TRANSACTION,
        // db.transaction.timeout, a stop): this request learns why.
        if (auto why = termination()) {
            fail(out, *why);
            return After::Continue;
        }
    }
    if (in_tx && m.tag == msg::kRollback && terminated_) {
        clean_up();  // rolled back already
        state_ = SessionState::Ready;
        success(out, {});
        return After::Continue;
    }
    switch (m.tag) {
        case msg::kReset:
            on_reset(out);
            break;
        case msg::kLogoff:
            if (!ready) {
                invalid(out, m);
                break;
            }
            user_.reset();
            state_ = SessionState::Authentication;
            success(out, {});
            break;
        case msg::kTelemetry:
            if (!ready) {
                invalid(out, m);
            } else if (!m.fields[0].is<int64_t>()) {
                fail(out, field_error("TELEMETRY", "api must be an Integer"));
            } else {
                success(out, {});
            }
            break;
        case msg::kRoute:
            ready ? on_route(m, out) : invalid(out, m);
            break;
        case msg::kBegin:
            ready ? on_begin(m, out) : invalid(out, m);
            break;
        case msg::kRun:
            if (ready || in_tx) {
                return on_run(m, out);
            }
            invalid(out, m);
            break;
        case msg::kPull:
        case msg::kDiscard:
            (state_ == SessionState::Streaming || state_ == SessionState::TxStreaming)
                ? on_pull(m, m.tag == msg::kDiscard, out)
                : invalid(out, m);
            break;
        case msg::kCommit:
            in_tx ? on_commit(out) : invalid(out, m);
            break;
        case msg::kRollback:
            in_tx ? on_rollback(out) : invalid(out, m);
            break;
        default:  // HELLO or LOGON once authenticated
            invalid(out, m);
            break;
    }
    return After::Continue;
}

// ------------------------------------------------------ authentication ---

Outcome<AuthUser> BoltSession::authenticate(const Map& token) {
    const auto* scheme = field_as<std::string>(token, "scheme");
    if (scheme == nullptr) {
        return make_error(status::kUnauthorized,
                          "Unsupported authentication token, missing key `scheme`");
    }
    if (*scheme != "basic" && *scheme != "none") {
        return make_error(status::kUnauthorized,
                          "Unsupported authentication token, scheme '" + *scheme + "' is not supported.");
    }
    std::string principal;
    std::string credentials;
    if (*scheme == "basic") {
        const auto* p = field_as<std::string>(token, "principal");
        const auto* c = field_as<std::string>(token, "credentials");
        if (p == nullptr || c == nullptr) {
            return make_error(status::kUnauthorized,
                              "Unsupported authentication token, the basic scheme needs `principal` and "
                              "`credentials` strings");
        }
        principal = *p;
        credentials = *c;
    }
    return dbms_.authenticate(*scheme, principal, credentials);
}

BoltSession::After BoltSession::on_hello(const Message& m, std::vector<uint8_t>& out) {
    auto extra = map_arg(m, 0, "extra");
    if (!extra) {
        fail(out, extra.error());
        state_ = SessionState::Defunct;
        return After::Close;
    }
    if (field_as<std::string>(extra.value(), "user_agent") == nullptr) {
        fail(out, field_error("HELLO", "user_agent must be a String"));
        state_ = SessionState::Defunct;
        return After::Close;
    }
    if (version_ == BoltVersion{5, 0}) {
        // Bolt 5.0 carries the credentials in HELLO itself.
        auto user = authenticate(extra.value());
        if (!user) {
            fail(out, user.error());
            state_ = SessionState::Defunct;
            return After::Close;
        }
        user_ = std::move(user.value());
    }
    Map hints;
    if (version_ >= BoltVersion{5, 4}) {
        hints["telemetry.enabled"] = options_.telemetry_enabled;
    }
    // No `ssr.enabled`: the driver must keep asking for routing tables.
    Map meta{{"server", dbms_.product_version()}, {"connection_id", connection_id_}, {"hints", hints}};
    if (user_ && user_->credentials_expired) {
        meta["credentials_expired"] = true;
    }
    success(out, std::move(meta));
    state_ = user_ ? SessionState::Ready : SessionState::Authentication;
    return After::Continue;
}

BoltSession::After BoltSession::on_logon(const Message& m, std::vector<uint8_t>& out) {
    auto token = map_arg(m, 0, "auth");
    if (!token) {
        fail(out, token.error());
        state_ = SessionState::Defunct;
        return After::Close;
    }
    auto user = authenticate(token.value());
    if (!user) {
        fail(out, user.error());
        state_ = SessionState::Defunct;
        return After::Close;
    }
    user_ = std::move(user.value());
    state_ = SessionState::Ready;
    Map meta;
    if (version_ >= BoltVersion{5, 8}) {
        meta["advertised_address"] = dbms_.server_bolt_address(server_);
    }
    if (user_->credentials_expired) {
        meta["credentials_expired"] = true;  // as Neo4j: only a password change runs until then
    }
    success(out, std::move(meta));
    return After::Continue;
}

// ------------------------------------------------------------- routing ---

void BoltSession::on_route(const Message& m, std::vector<uint8_t>& out) {
    if (!m.fields[0].is<Map>() && !m.fields[0].is_null()) {
        fail(out, field_error("ROUTE", "routing must be a Map"));
        return;
    }
    if (!m.fields[1].is<List>() && !m.fields[1].is_null()) {
        fail(out, field_error("ROUTE", "bookmarks must be a List"));
        return;
    }
    auto extra = map_arg(m, 2, "extra");
    if (!extra) {
        fail(out, extra.error());
        return;
    }
    std::string db;
    if (present(extra.value(), "db")) {
        const auto* s = field_as<std::string>(extra.value(), "db");
        if (s == nullptr) {
            fail(out, field_error("ROUTE", "db must be a String"));
            return;
        }
        db = *s;
    }
    if (present(extra.value(), "imp_user")) {
        fail(out, make_error(status::kForbidden, "Impersonation is not supported by this server"));
        return;
    }
    auto table = dbms_.routing_table(server_, db);
    if (!table) {
        fail(out, table.error());
        return;
    }
    auto entry = [](const char* role, const std::vector<std::string>& addresses) {
        List a(addresses.begin(), addresses.end());
        return Value(Map{{"addresses", std::move(a)}, {"role", role}});
    };
    // WRITE, READ, ROUTE, each left out when it has no address.
    List servers;
    if (!table->writers.empty()) {
        servers.push_back(entry("WRITE", table->writers));
    }
    if (!table->readers.empty()) {
        servers.push_back(entry("READ", table->readers));
    }
    if (!table->routers.empty()) {
        servers.push_back(entry("ROUTE", table->routers));
    }
    Map rt{{"ttl", table->ttl_seconds}, {"db", table->database}, {"servers", std::move(servers)}};
    success(out, Map{{"rt", std::move(rt)}});
}

// -------------------------------------------------------- transactions ---

Outcome<BoltSession::TxParams> BoltSession::tx_params(const Map& extra) {
    TxParams p;
    if (present(extra, "db")) {
        const auto* db = field_as<std::string>(extra, "db");
        if (db == nullptr) {
            return field_error("BEGIN/RUN", "db must be a String");
        }
        p.database = *db;
        p.client_gave_db = !db->empty();
    }
    if (p.database.empty()) {
        p.database = dbms_.default_database();
    }
    if (present(extra, "mode")) {
        const auto* mode = field_as<std::string>(extra, "mode");
        if (mode == nullptr || (*mode != "r" && *mode != "w")) {
            return field_error("BEGIN/RUN", "mode must be \"r\" or \"w\"");
        }
        p.mode = *mode == "r" ? AccessMode::Read : AccessMode::Write;
    }
    auto bookmarks = string_list(extra, "bookmarks", "BEGIN/RUN");
    if (!bookmarks) {
        return bookmarks.error();
    }
    p.bookmarks = std::move(bookmarks.value());
    if (present(extra, "tx_timeout")) {
        const auto* ms = field_as<int64_t>(extra, "tx_timeout");
        if (ms == nullptr || *ms < 0) {
            return field_error("BEGIN/RUN", "tx_timeout must be an Integer of milliseconds, 0 or more");
        }
        p.options.timeout = std::chrono::milliseconds(*ms);  // 0: no timeout, as Neo4j
    }
    if (present(extra, "tx_metadata")) {
        const auto* meta = field_as<Map>(extra, "tx_metadata");
        if (meta == nullptr) {
            return field_error("BEGIN/RUN", "tx_metadata must be a Map");
        }
        p.options.metadata = *meta;
    }
    p.options.connection_id = connection_id_;
    p.options.client_address = client_address_;
    p.options.wake = wake_;
    if (present(extra, "imp_user")) {
        return make_error(status::kForbidden, "Impersonation is not supported by this server");
    }
    return p;
}

bool BoltSession::refresh_user(std::vector<uint8_t>& out) {
    auto now = dbms_.current_user(*user_);
    if (!now) {
        fail(out, now.error());
        return false;
    }
    user_ = std::move(now.value());
    return true;
}

Outcome<cypher::QueryResult> BoltSession::execute(const std::string& query, const Map& params,
                                                  const std::string& database, AccessMode mode, Transaction* tx) {
    cypher::QueryContext ctx{dbms_, server_, *user_, database, mode, tx};
    return engine_.run(query, params, ctx);
}

void BoltSession::on_begin(const Message& m, std::vector<uint8_t>& out) {
    auto extra = map_arg(m, 0, "extra");
    if (!extra) {
        fail(out, extra.error());
        return;
    }
    auto p = tx_params(extra.value());
    if (!p) {
        fail(out, p.error());
        return;
    }
    if (!refresh_user(out)) {
        return;
    }
    if (p->database != kSystem) {
        auto tx = dbms_.begin(server_, p->database, p->mode, *user_, p->bookmarks, options_.bookmark_timeout,
                              p->options);
        if (!tx) {
            fail(out, tx.error());
            return;
        }
        tx_ = std::move(tx.value());
    }
    tx_database_ = p->database;
    tx_mode_ = p->mode;
    tx_results_.clear();
    next_qid_ = 0;
    state_ = SessionState::TxReady;
    Map meta;
    if (version_ >= BoltVersion{5, 8} && !p->client_gave_db) {
        meta["db"] = p->database;
    }
    success(out, std::move(meta));
}

BoltSession::After BoltSession::on_run(const Message& m, std::vector<uint8_t>& out) {
    const auto* query = m.fields[0].get_if<std::string>();
    if (query == nullptr) {
        fail(out, field_error("RUN", "query must be a String"));
        return After::Continue;
    }
    auto params = map_arg(m, 1, "parameters");
    if (!params) {
        fail(out, params.error());
        return After::Continue;
    }
    auto extra = map_arg(m, 2, "extra");
    if (!extra) {
        fail(out, extra.error());
        return After::Continue;
    }
    auto admin = administration_command(*query);
    PendingRun run;
    run.query = *query;
    run.params = std::move(params.value());
    run.admin = admin.has_value();
    run.started = Clock::now();

    if (state_ == SessionState::Ready) {
        // Auto-commit: a transaction of its own, committed when the stream ends.
        auto p = tx_params(extra.value());
        if (!p) {
            fail(out, p.error());
            return After::Continue;
        }
        if (!refresh_user(out)) {
            return After::Continue;
        }
        run.auto_commit = true;
        run.database = admin ? std::string(kSystem) : p->database;
        run.mode = p->mode;
        run.client_gave_db = p->client_gave_db;
        if (run.database != kSystem) {
            auto tx = dbms_.begin(server_, run.database, p->mode, *user_, p->bookmarks, options_.bookmark_timeout,
                                  p->options);
            if (!tx) {
                fail(out, tx.error());
                return After::Continue;
            }
            auto_tx_ = std::move(tx.value());
        }
        return execute_run(std::move(run), out);
    }

    // Inside an explicit transaction.
    if (admin && tx_database_ != kSystem) {
        fail(out, make_error(status::kNotSystemDatabase,
                             "This is an administration command and it should be executed against the system "
                             "database: " +
                                 *admin));
        return After::Continue;
    }
    run.database = tx_database_;
    run.mode = tx_mode_;
    return execute_run(std::move(run), out);
}

BoltSession::After BoltSession::execute_run(PendingRun run, std::vector<uint8_t>& out) {
    Transaction* tx = run.auto_commit ? auto_tx_.get() : tx_.get();
    if (tx != nullptr && !run.resumed) {
        tx->query_started(run.query, run.params);  // SHOW TRANSACTIONS shows it, waiting or running
    }
    if (tx != nullptr && wake_ && !run.admin && engine_.updates_graph(run.query)) {
        // Take the write lock before the query runs, without waiting for it
        // here: a worker that waited could be the one the holder needs.
        auto reserved = tx->reserve_write();
        if (!reserved) {
            tx->query_finished();
            fail(out, reserved.error());
            return After::Continue;
        }
        if (reserved.value() == Transaction::Reservation::Waiting) {
            run.resumed = true;
            parked_ = std::move(run);
            return After::Park;
        }
    }
    auto result = execute(run.query, run.params, run.database, run.mode, tx);
    if (tx != nullptr) {
        tx->query_finished();
        if (auto why = tx->termination(); why && result) {
            result = *why;  // terminated while it ran: its rows are not the answer
        }
    }
    if (!result) {
        fail(out, result.error());
        return After::Continue;
    }
    OpenResult r;
    r.database = run.database;
    r.result = std::move(result.value());
    List fields(r.result.columns.begin(), r.result.columns.end());
    Map meta{{"fields", std::move(fields)}, {"t_first", millis(Clock::now() - run.started)}};
    if (run.auto_commit) {
        if (version_ >= BoltVersion{5, 8} && !run.client_gave_db) {
            meta["db"] = run.database;
        }
        auto_result_ = std::move(r);
        state_ = SessionState::Streaming;
        success(out, std::move(meta));
        return After::Continue;
    }
    r.qid = next_qid_++;
    meta["qid"] = r.qid;
    tx_results_.push_back(std::move(r));
    state_ = SessionState::TxStreaming;
    success(out, std::move(meta));
    return After::Continue;
}

void BoltSession::stream(OpenResult& r, int64_t n, bool discard, std::vector<uint8_t>& out) {
    auto started = Clock::now();
    size_t left = r.result.rows.size() - r.next;
    size_t count = n < 0 ? left : std::min(left, static_cast<size_t>(n));
    if (!discard) {
        for (size_t i = 0; i < count; ++i) {
            append_record(out, r.result.rows[r.next + i]);
        }
    }
    r.next += count;
    r.stream_time += Clock::now() - started;
}

Map BoltSession::summary(const OpenResult& r) const {
    Map s{{"type", valid_type(r.result.type)}, {"t_last", millis(r.stream_time)}, {"db", r.database}};
    const auto& st = r.result.stats;
    Map stats;
    auto put = [&stats](const char* key, int64_t v) {
        if (v != 0) {
            stats[key] = v;
        }
    };
    put("nodes-created", st.nodes_created);
    put("nodes-deleted", st.nodes_deleted);
    put("relationships-created", st.relationships_created);
    put("relationships-deleted", st.relationships_deleted);
    put("properties-set", st.properties_set);
    put("labels-added", st.labels_added);
    put("labels-removed", st.labels_removed);
    put("system-updates", r.result.system_updates);
    if (r.result.contains_updates) {
        stats["contains-updates"] = true;
    }
    if (r.result.contains_system_updates) {
        stats["contains-system-updates"] = true;
    }
    if (!stats.empty()) {
        s["stats"] = std::move(stats);
    }
    return s;
}

void BoltSession::on_pull(const Message& m, bool discard, std::vector<uint8_t>& out) {
    auto extra = map_arg(m, 0, "extra");
    if (!extra) {
        fail(out, extra.error());
        return;
    }
    const char* name = discard ? "DISCARD" : "PULL";
    int64_t n = -1;
    if (present(extra.value(), "n")) {
        const auto* v = field_as<int64_t>(extra.value(), "n");
        if (v == nullptr || *v == 0 || *v < -1) {
            fail(out, field_error(name, "n must be a positive Integer or -1 (all)"));
            return;
        }
        n = *v;
    }
    int64_t qid = -1;
    if (present(extra.value(), "qid")) {
        const auto* v = field_as<int64_t>(extra.value(), "qid");
        if (v == nullptr || *v < -1) {
            fail(out, field_error(name, "qid must be an Integer >= -1"));
            return;
        }
        qid = *v;
    }

    if (state_ == SessionState::Streaming) {
        OpenResult& r = *auto_result_;
        stream(r, n, discard, out);
        if (!r.done()) {
            success(out, Map{{"has_more", true}});
            return;
        }
        auto started = Clock::now();
        std::string bookmark;
        if (auto_tx_) {
            auto committed = auto_tx_->commit();
            auto_tx_.reset();
            if (!committed) {
                fail(out, committed.error());
                return;
            }
            bookmark = std::move(committed.value());
        }
        r.stream_time += Clock::now() - started;
        Map meta = summary(r);
        if (!bookmark.empty()) {
            meta["bookmark"] = bookmark;
        }
        auto_result_.reset();
        state_ = SessionState::Ready;
        success(out, std::move(meta));
        return;
    }

    // TX_STREAMING: qid -1 is the most recent RUN.
    auto it = tx_results_.end();
    if (qid == -1) {
        if (!tx_results_.empty() && tx_results_.back().qid == next_qid_ - 1) {
            it = tx_results_.end() - 1;
        }
    } else {
        for (auto i = tx_results_.begin(); i != tx_results_.end(); ++i) {
            if (i->qid == qid) {
                it = i;
            }
        }
    }
    if (it == tx_results_.end()) {
        fail(out, field_error(name, "no open result with qid " + std::to_string(qid)));
        return;
    }
    stream(*it, n, discard, out);
    if (!it->done()) {
        success(out, Map{{"has_more", true}});
        return;
    }
    Map meta = summary(*it);
    tx_results_.erase(it);
    if (tx_results_.empty()) {
        state_ = SessionState::TxReady;
    }
    success(out, std::move(meta));
}

void BoltSession::on_commit(std::vector<uint8_t>& out) {
    // Results the client left unconsumed are discarded with the commit.
    tx_results_.clear();
    Map meta;
    if (tx_) {
        auto committed = tx_->commit();
        tx_.reset();
        if (!committed) {
            fail(out, committed.error());
            return;
        }
        if (!committed->empty()) {
            meta["bookmark"] = committed.value();
        }
    }
    tx_database_.clear();
    state_ = SessionState::Ready;
    success(out, std::move(meta));
}

void BoltSession::on_rollback(std::vector<uint8_t>& out) {
    clean_up();
    state_ = SessionState::Ready;
    success(out, {});
}

void BoltSession::on_reset(std::vector<uint8_t>& out) {
    clean_up();
    state_ = SessionState::Ready;
    success(out, {});
}

}  // namespace refhost::bolt
