#include "memory_host.hpp"

#include <ccdr/setting_values.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

namespace ccdr::test {
namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string random_store_id() {
    std::random_device rd;
    std::mt19937_64 rng(rd());
    char buf[33];
    std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    return buf;
}

Status not_found(std::string_view db) {
    return {CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + std::string(db) + "'."};
}

// Snapshot format of this host: repeated [u64 tx_id][i64 time][u32 len][payload].
void put(std::vector<uint8_t>& out, const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
}

}  // namespace

MemoryHost::MemoryHost(std::string server_id, std::map<std::string, std::string> settings)
    : server_id_(std::move(server_id)), settings_(std::move(settings)) {
    data_dir_ = (std::filesystem::temp_directory_path() / ("ccdr-memhost-" + server_id_ + "-" + random_store_id()))
                    .string();
    std::filesystem::create_directories(data_dir_);
}

MemoryHost::~MemoryHost() {
    detach();
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
}

Status MemoryHost::configure(const ccdr_plugin_api* api) {
    for (size_t i = 0; i < api->setting_count; ++i) {
        const auto& def = api->settings[i];
        std::string key = to_string(def.name);
        auto it = settings_.find(key);
        std::string value = it == settings_.end() ? to_string(def.default_value) : it->second;
        auto err = make_error();
        ccdr_status st = api->validate_setting(def.name, to_abi(value), &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        settings_[key] = value;
    }
    for (const auto& [key, value] : settings_) {
        if (key.rfind("ccdr.", 0) == 0) {
            bool declared = false;
            for (size_t i = 0; i < api->setting_count; ++i) {
                declared = declared || to_view(api->settings[i].name) == key;
            }
            if (!declared) {
                return {CCDR_INVALID_SETTING,
                        "unknown setting " + key + "='" + value + "': the plugin declares no such key"};
            }
        }
    }
    return {};
}

Status MemoryHost::attach(const ccdr_plugin_api* api, const ccdr_host_api* host_vtable) {
    Status configured = configure(api);
    if (!configured) {
        return configured;
    }
    auto made = PluginInstanceHandle::create(api, host_vtable == nullptr ? host_api() : host_vtable, ctx());
    if (!made) {
        return made.status();
    }
    plugin_ = std::move(made.value());
    Status st = plugin_->start();
    if (!st) {
        plugin_.reset();
        return st;
    }
    std::vector<std::pair<std::string, ccdr_database_kind>> dbs;
    {
        std::lock_guard lock(mu_);
        for (const auto& [name, m] : members_) {
            if (m.online) {
                dbs.emplace_back(name, m.kind);
            }
        }
    }
    for (const auto& [name, kind] : dbs) {
        send_event(name, CCDR_EVENT_STARTED, kind);
    }
    return {};
}

void MemoryHost::detach() {
    if (plugin_) {
        plugin_->stop();
        plugin_.reset();
    }
    // The procedures pointed into the destroyed instance; a new one registers
    // its own, as after a restart of a real host.
    std::lock_guard lock(mu_);
    procedures_.clear();
}

void MemoryHost::send_event(const std::string& database, ccdr_event_kind event, ccdr_database_kind kind) {
    if (plugin_) {
        plugin_->on_database_event(database, event, CCDR_ROLE_PRIMARY, kind);
    }
}

Result<uint64_t> MemoryHost::commit(const std::string& database, std::vector<uint8_t> payload) {
    if (plugin_) {
        Status veto = plugin_->before_commit(database, CCDR_ORIGIN_USER, "neo4j");
        if (!veto) {
            return veto;
        }
    }
    uint64_t id = 0;
    int64_t t = now_ms();
    std::vector<uint8_t> handed;
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(database);
        if (it == members_.end()) {
            return not_found(database);
        }
        MemoryMember& m = it->second;
        if (m.read_only) {
            return Status(CCDR_READ_ONLY_DATABASE, "No write operations are allowed on database '" + database +
                                                       "': it is read-only" +
                                                       (m.access_reason.empty() ? "" : " (" + m.access_reason + ")"));
        }
        id = m.last_tx + 1;
        if (handover_.load()) {
            handed = payload;  // the plugin's copy, handed over after the lock
        }
        StoredTx tx{id, t, std::move(payload)};
        m.content.push_back(tx);
        m.log.push_back(std::move(tx));
        m.last_tx = id;
        m.last_time_ms = t;
    }
    changed_.notify_all();
    if (plugin_) {
        if (handover_.load()) {
            const ccdr_tx tx{id, t, ccdr_bytes{handed.data(), handed.size()}};
            plugin_->after_commit_txs(database, std::span<const ccdr_tx>(&tx, 1));
        } else {
            plugin_->after_commit(database, id, t);
        }
    }
    return id;
}

Result<std::vector<ValueList>> MemoryHost::call_procedure(const std::string& name, ValueList args, bool is_admin,
                                                          const std::string& database) {
    Procedure proc;
    {
        std::lock_guard lock(mu_);
        auto it = procedures_.find(name);
        if (it == procedures_.end()) {
            return Status(CCDR_PROCEDURE_NOT_FOUND, "There is no procedure with the name `" + name +
                                                        "` registered for this database instance.");
        }
        proc = it->second;
    }
    if (proc.admin_only && !is_admin) {
        return Status(CCDR_FORBIDDEN, "Executing procedure is not allowed for user 'reader' with roles [reader].");
    }
    auto bound = proc.bind(std::move(args));
    if (!bound) {
        return bound.status();
    }
    return proc.invoke(*bound, is_admin ? "neo4j" : "reader", database, is_admin);
}

void MemoryHost::prune_log(const std::string& database, uint64_t keep_from) {
    std::lock_guard lock(mu_);
    auto it = members_.find(database);
    if (it == members_.end()) {
        return;
    }
    MemoryMember& m = it->second;
    std::erase_if(m.log, [&](const StoredTx& tx) { return tx.tx_id < keep_from; });
    m.oldest_retained = std::max(m.oldest_retained, std::min(keep_from, m.last_tx + 1));
}

void MemoryHost::fail_next_promotion() {
    std::lock_guard lock(mu_);
    fail_next_promotion_ = true;
}

void MemoryHost::set_seats(uint32_t seats, bool one_step_promotion) {
    std::lock_guard lock(mu_);
    seats_ = seats;
    one_step_promotion_ = one_step_promotion;
}

uint64_t MemoryHost::topology_changes() const {
    std::lock_guard lock(mu_);
    return topology_changes_;
}

std::string MemoryHost::seats_text() const {
    return std::to_string(seats_) + (seats_ == 1 ? " server" : " servers");
}

void MemoryHost::set_apply_hook(std::function<void(const std::string& database, uint64_t first_tx)> hook) {
    std::lock_guard lock(mu_);
    apply_hook_ = std::move(hook);
}

void MemoryHost::fail_next_apply() {
    std::lock_guard lock(mu_);
    fail_next_apply_ = true;
}

void MemoryHost::set_online(const std::string& database, bool online) {
    std::lock_guard lock(mu_);
    auto it = members_.find(database);
    if (it != members_.end()) {
        it->second.online = online;
    }
}

void MemoryHost::tamper_content(const std::string& database) {
    std::lock_guard lock(mu_);
    auto it = members_.find(database);
    if (it == members_.end() || it->second.content.empty()) {
        return;
    }
    auto& payload = it->second.content.back().payload;
    if (payload.empty()) {
        payload.push_back(0x5a);
    } else {
        payload[0] ^= 0x5a;
    }
}

bool MemoryHost::wait_for_tx(const std::string& database, uint64_t tx_id, int timeout_ms) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
        auto it = members_.find(database);
        return it != members_.end() && it->second.last_tx >= tx_id;
    });
}

std::optional<MemoryMember> MemoryHost::member(const std::string& database) const {
    std::lock_guard lock(mu_);
    auto it = members_.find(database);
    if (it == members_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::pair<ccdr_log_level, std::string>> MemoryHost::logs() const {
    std::lock_guard lock(mu_);
    return logs_;
}

std::vector<MemoryHost::TimedLine> MemoryHost::logs_since(std::chrono::steady_clock::time_point since) const {
    std::lock_guard lock(mu_);
    std::vector<TimedLine> out;
    auto first = std::lower_bound(log_times_.begin(), log_times_.end(), since);
    for (auto i = static_cast<size_t>(first - log_times_.begin()); i < logs_.size(); ++i) {
        out.push_back(TimedLine{log_times_[i], logs_[i].first, logs_[i].second});
    }
    return out;
}

bool MemoryHost::log_contains(const std::string& needle) const {
    std::lock_guard lock(mu_);
    for (const auto& [level, line] : logs_) {
        if (line.find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> MemoryHost::procedure_names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [name, p] : procedures_) {
        out.push_back(name);
    }
    return out;
}

// --- HostServer ---

void MemoryHost::log(ccdr_log_level level, std::string_view message) {
    std::lock_guard lock(mu_);
    logs_.emplace_back(level, std::string(message));
    log_times_.push_back(std::chrono::steady_clock::now());
}

Result<std::string> MemoryHost::get_setting(std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = settings_.find(std::string(key));
    if (it == settings_.end()) {
        return Status(CCDR_INVALID_ARGUMENT, "unknown setting " + std::string(key));
    }
    return it->second;
}

Result<ServerInfo> MemoryHost::server_info() {
    std::lock_guard lock(mu_);
    auto get = [&](const char* key, const char* fallback) {
        auto it = settings_.find(key);
        return it == settings_.end() ? std::string(fallback) : it->second;
    };
    return ServerInfo{server_id_,
                      "memory-cluster-" + server_id_,
                      get("server.bolt.listen_address", "127.0.0.1:7687"),
                      get("server.cluster.listen_address", "127.0.0.1:6000"),
                      data_dir_,
                      "ccdr-memory-host",
                      "test"};
}

Status MemoryHost::register_procedure(const ccdr_procedure_def& def) {
    auto p = Procedure::copy(def);
    if (!p) {
        return p.status();
    }
    std::lock_guard lock(mu_);
    if (procedures_.count(p->name) != 0) {
        return {CCDR_INVALID_ARGUMENT, "procedure " + p->name + " is already registered"};
    }
    procedures_[p->name] = std::move(p.value());
    return {};
}

Result<ccdr_log_info> MemoryHost::log_info(std::string_view database) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(database));
    if (it == members_.end()) {
        return not_found(database);
    }
    ccdr_log_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_log_info);
    info.last_committed_tx = it->second.last_tx;
    info.last_commit_time_ms = it->second.last_time_ms;
    info.oldest_retained_tx = it->second.oldest_retained;
    return info;
}

// The canonical content of a memory member is its sequence of applied
// payloads: FNV-1a 64 over each payload's length and bytes, in tx order.
Result<Fingerprint> MemoryHost::content_fingerprint(std::string_view database, std::string_view server_id) {
    if (!server_id.empty() && server_id != server_id_) {
        return Status(CCDR_DATABASE_NOT_FOUND, "no server '" + std::string(server_id) + "' in this one-server host");
    }
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(database));
    if (it == members_.end()) {
        return not_found(database);
    }
    if (!it->second.online) {
        return Status(CCDR_DATABASE_UNAVAILABLE, "database '" + std::string(database) + "' is not online");
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](uint8_t b) {
        h ^= b;
        h *= 0x100000001b3ULL;
    };
    for (const auto& tx : it->second.content) {
        uint64_t n = tx.payload.size();
        for (int i = 0; i < 8; ++i) {
            mix(static_cast<uint8_t>(n >> (8 * i)));
        }
        for (uint8_t b : tx.payload) {
            mix(b);
        }
    }
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (int i = 15; i >= 0; --i) {
        hex += kHex[(h >> (4 * i)) & 15];
    }
    return Fingerprint{it->second.last_tx, "memory-payloads-fnv1a64-v1", hex};
}

Status MemoryHost::read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                            const ccdr_tx_visitor& visitor) {
    return read_log_bounded_impl(database, from_tx, max_bytes, UINT64_MAX, visitor);
}

Status MemoryHost::read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                    uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor) {
    if (!log_tx_reads_.load()) {
        return HostServer::read_log_bounded(database, from_tx, max_bytes, tx_max_bytes, visitor);
    }
    return read_log_bounded_impl(database, from_tx, max_bytes, tx_max_bytes, visitor);
}

namespace {

// One logged transaction read in pieces: a copy of its payload (this host
// keeps everything in memory anyway), handed out in order.
class MemoryLoggedTx final : public HostServer::LoggedTx {
public:
    MemoryLoggedTx(MemoryHost& host, std::vector<uint8_t> payload, uint64_t tx_id)
        : host_(host), payload_(std::move(payload)), tx_id_(tx_id) {}
    uint64_t length() const override { return payload_.size(); }
    Result<size_t> read(std::span<uint8_t> into) override {
        host_.count_log_tx_read(into.size());
        const size_t n = std::min(into.size(), payload_.size() - done_);
        std::copy_n(payload_.begin() + static_cast<std::ptrdiff_t>(done_), n, into.begin());
        done_ += n;
        if (n > 0 && done_ == payload_.size() && host_.take_log_tx_corruption()) {
            return Status(CCDR_CORRUPT, "tx " + std::to_string(tx_id_) + " fails its checksum (injected)");
        }
        return n;
    }

private:
    MemoryHost& host_;
    std::vector<uint8_t> payload_;
    uint64_t tx_id_;
    size_t done_ = 0;
};

}  // namespace

Result<std::unique_ptr<HostServer::LoggedTx>> MemoryHost::log_tx_open(std::string_view database, uint64_t tx_id) {
    if (!log_tx_reads_.load()) {
        return HostServer::log_tx_open(database, tx_id);
    }
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(database));
    if (it == members_.end()) {
        return not_found(database);
    }
    const MemoryMember& m = it->second;
    if (tx_id < m.oldest_retained) {
        return Status(CCDR_LOG_PRUNED, "transaction " + std::to_string(tx_id) + " was pruned");
    }
    auto found = std::lower_bound(m.log.begin(), m.log.end(), tx_id,
                                  [](const StoredTx& tx, uint64_t id) { return tx.tx_id < id; });
    if (found == m.log.end() || found->tx_id != tx_id) {
        return Status(CCDR_INVALID_ARGUMENT, "transaction " + std::to_string(tx_id) + " is not committed");
    }
    ++log_tx_counts_.opened;
    return std::unique_ptr<LoggedTx>(std::make_unique<MemoryLoggedTx>(*this, found->payload, tx_id));
}

MemoryHost::LogTxCounts MemoryHost::log_tx_counts() const {
    std::lock_guard lock(mu_);
    return log_tx_counts_;
}

void MemoryHost::count_log_tx_read(size_t bytes) {
    std::lock_guard lock(mu_);
    log_tx_counts_.largest_read = std::max(log_tx_counts_.largest_read, bytes);
}

Status MemoryHost::read_log_bounded_impl(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                         uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor) {
    std::vector<StoredTx> batch;
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(database));
        if (it == members_.end()) {
            return not_found(database);
        }
        const MemoryMember& m = it->second;
        if (from_tx < m.oldest_retained) {
            return {CCDR_LOG_PRUNED, "transaction " + std::to_string(from_tx) + " was pruned; oldest retained is " +
                                         std::to_string(m.oldest_retained)};
        }
        uint64_t bytes = 0;
        // The log is in id order: start at from_tx without scanning.
        auto first = std::lower_bound(m.log.begin(), m.log.end(), from_tx,
                                      [](const StoredTx& tx, uint64_t id) { return tx.tx_id < id; });
        for (auto it = first; it != m.log.end(); ++it) {
            const StoredTx& tx = *it;
            if (!batch.empty() && bytes + tx.payload.size() > max_bytes) {
                break;
            }
            bytes += tx.payload.size();
            batch.push_back(tx);
        }
    }
    if (!batch.empty()) {
        log_reads_.fetch_add(1);
    }
    for (const auto& tx : batch) {
        ccdr_tx v{tx.tx_id, tx.commit_time_ms, ccdr_bytes{tx.payload.data(), tx.payload.size()}};
        if (tx.payload.size() > tx_max_bytes) {
            v.payload.data = nullptr;
            std::lock_guard lock(mu_);
            ++log_tx_counts_.header_only_visits;
        }
        ccdr_status st = visitor.visit(visitor.ctx, &v);
        if (st == CCDR_STOPPED) {
            return {};
        }
        if (st != CCDR_OK) {
            return {st, "visitor stopped reading the log"};
        }
    }
    return {};
}

Status MemoryHost::apply_batch(std::string_view database, std::span<const ccdr_tx> txs) {
    std::function<void(const std::string&, uint64_t)> hook;
    {
        std::lock_guard lock(mu_);
        hook = apply_hook_;
    }
    if (hook && !txs.empty()) {
        hook(std::string(database), txs.front().tx_id);
    }
    if (plugin_) {
        Status veto = plugin_->before_commit(database, CCDR_ORIGIN_REPLICATION, "");
        if (!veto) {
            return veto;
        }
    }
    uint64_t last = 0;
    int64_t last_time = 0;
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(database));
        if (it == members_.end()) {
            return not_found(database);
        }
        MemoryMember& m = it->second;
        if (txs.empty()) {
            return {};
        }
        uint64_t expect = m.last_tx + 1;
        for (const auto& tx : txs) {
            if (tx.tx_id != expect) {
                return {CCDR_OUT_OF_ORDER, "apply_batch: expected tx " + std::to_string(expect) + ", got " +
                                               std::to_string(tx.tx_id)};
            }
            ++expect;
        }
        if (fail_next_apply_) {
            fail_next_apply_ = false;
            return {CCDR_IO_ERROR, "apply_batch: injected failure"};
        }
        for (const auto& tx : txs) {
            StoredTx stored{tx.tx_id, tx.commit_time_ms,
                            std::vector<uint8_t>(tx.payload.data, tx.payload.data + tx.payload.len)};
            m.content.push_back(stored);
            m.log.push_back(std::move(stored));
        }
        m.last_tx = txs.back().tx_id;
        m.last_time_ms = txs.back().commit_time_ms;
        m.apply_batches++;
        last = m.last_tx;
        last_time = m.last_time_ms;
    }
    changed_.notify_all();
    if (plugin_) {
        if (handover_.load()) {
            plugin_->after_commit_txs(database, txs);  // the caller's batch, still borrowed
        } else {
            plugin_->after_commit(database, last, last_time);
        }
    }
    return {};
}

namespace {

class MemoryTxInParts final : public HostServer::TxInParts {
public:
    MemoryTxInParts(MemoryHost& host, std::string database, uint64_t tx_id, int64_t time_ms, uint64_t total)
        : host_(host), database_(std::move(database)), tx_id_(tx_id), time_ms_(time_ms), total_(total) {}
    ~MemoryTxInParts() override {
        if (!ended_) {
            host_.count_end(false);
        }
    }
    Status part(std::span<const uint8_t> bytes) override {
        if (payload_.size() + bytes.size() > total_) {
            return {CCDR_INVALID_ARGUMENT, "apply_tx_part: past the announced " + std::to_string(total_) + " bytes"};
        }
        if (host_.take_part_failure()) {
            return {CCDR_IO_ERROR, "apply_tx_part: injected failure"};
        }
        payload_.insert(payload_.end(), bytes.begin(), bytes.end());
        host_.count_part(bytes.size());
        return {};
    }
    Status commit() override {
        ended_ = true;
        if (payload_.size() != total_) {
            host_.count_end(false);
            return {CCDR_INVALID_ARGUMENT, "apply_tx_commit: " + std::to_string(payload_.size()) + " of " +
                                               std::to_string(total_) + " bytes"};
        }
        ccdr_tx tx{tx_id_, time_ms_, {payload_.data(), payload_.size()}};
        Status st = host_.apply_batch(database_, std::span<const ccdr_tx>(&tx, 1));
        host_.count_end(static_cast<bool>(st));
        return st;
    }

private:
    MemoryHost& host_;
    std::string database_;
    uint64_t tx_id_;
    int64_t time_ms_;
    uint64_t total_;
    std::vector<uint8_t> payload_;
    bool ended_ = false;
};

}  // namespace

Result<std::unique_ptr<HostServer::TxInParts>> MemoryHost::apply_tx_begin(std::string_view database,
                                                                          uint64_t tx_id, int64_t commit_time_ms,
                                                                          uint64_t total_bytes) {
    if (!parts_supported_.load()) {
        return HostServer::apply_tx_begin(database, tx_id, commit_time_ms, total_bytes);
    }
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(database));
        if (it == members_.end()) {
            return not_found(database);
        }
        if (tx_id != it->second.last_tx + 1) {
            return Status(CCDR_OUT_OF_ORDER, "apply_tx_begin: expected tx " + std::to_string(it->second.last_tx + 1) +
                                                 ", got " + std::to_string(tx_id));
        }
        parts_counts_.begun++;
    }
    return std::unique_ptr<TxInParts>(
        std::make_unique<MemoryTxInParts>(*this, std::string(database), tx_id, commit_time_ms, total_bytes));
}

void MemoryHost::count_part(size_t bytes) {
    std::lock_guard lock(mu_);
    parts_counts_.parts++;
    parts_counts_.largest_part = std::max(parts_counts_.largest_part, bytes);
}

void MemoryHost::count_end(bool committed) {
    std::lock_guard lock(mu_);
    (committed ? parts_counts_.committed : parts_counts_.aborted)++;
}

MemoryHost::PartsCounts MemoryHost::parts_counts() const {
    std::lock_guard lock(mu_);
    return parts_counts_;
}

Result<ccdr_snapshot_info> MemoryHost::snapshot_image(std::string_view database, std::vector<uint8_t>& image) {
    ccdr_snapshot_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_snapshot_info);
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(database));
    if (it == members_.end()) {
        return not_found(database);
    }
    for (const auto& tx : it->second.content) {
        put(image, &tx.tx_id, 8);
        put(image, &tx.commit_time_ms, 8);
        uint32_t len = static_cast<uint32_t>(tx.payload.size());
        put(image, &len, 4);
        put(image, tx.payload.data(), tx.payload.size());
    }
    info.tx_id = it->second.last_tx;
    info.commit_time_ms = it->second.last_time_ms;
    info.total_bytes = image.size();
    return info;
}

Status MemoryHost::snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) {
    std::vector<uint8_t> image;
    auto info = snapshot_image(database, image);
    if (!info) {
        return info.status();
    }
    ccdr_status st = sink.begin(sink.ctx, &*info);
    if (st != CCDR_OK) {
        return {st, "snapshot sink refused the snapshot"};
    }
    constexpr size_t kChunk = 64 * 1024;
    for (size_t off = 0; off < image.size(); off += kChunk) {
        size_t n = std::min(kChunk, image.size() - off);
        st = sink.chunk(sink.ctx, ccdr_bytes{image.data() + off, n});
        if (st != CCDR_OK) {
            return {st, "snapshot sink stopped at byte " + std::to_string(off)};
        }
    }
    streamed_exports_++;
    return {};
}

Status MemoryHost::snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                                   const ccdr_snapshot_source& source) {
    std::vector<uint8_t> image;
    std::vector<uint8_t> buf(64 * 1024);
    for (;;) {
        size_t n = 0;
        ccdr_status st = source.read(source.ctx, buf.data(), buf.size(), &n);
        if (st != CCDR_OK) {
            return {st, "snapshot source failed"};
        }
        if (n == 0) {
            break;
        }
        image.insert(image.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    Status st = install_image(database, info, image);
    if (st) {
        streamed_imports_++;
    }
    return st;
}

void MemoryHost::hold_exports(bool held) {
    {
        std::lock_guard lock(export_hold_mu_);
        exports_held_ = held;
    }
    export_hold_cv_.notify_all();
}

Result<ccdr_snapshot_info> MemoryHost::snapshot_export_file(std::string_view database, std::string_view path) {
    {
        std::unique_lock lock(export_hold_mu_);
        export_hold_cv_.wait(lock, [&] { return !exports_held_; });
    }
    std::vector<uint8_t> image;
    auto info = snapshot_image(database, image);
    if (!info) {
        return info.status();
    }
    std::FILE* f = std::fopen(std::string(path).c_str(), "wbx");
    if (f == nullptr) {
        return Status(CCDR_IO_ERROR, "cannot create the snapshot file " + std::string(path));
    }
    const bool written = image.empty() || std::fwrite(image.data(), 1, image.size(), f) == image.size();
    if (std::fclose(f) != 0 || !written) {
        std::error_code ec;
        std::filesystem::remove(std::string(path), ec);
        return Status(CCDR_IO_ERROR, "cannot write the snapshot file " + std::string(path));
    }
    file_exports_++;
    return info;
}

Status MemoryHost::snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                        std::string_view path) {
    const std::string file(path);
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "snapshot file " + file + ": " + ec.message()};
    }
    std::vector<uint8_t> image(static_cast<size_t>(size));
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (f == nullptr) {
        return {CCDR_IO_ERROR, "cannot open the snapshot file " + file};
    }
    const bool read = image.empty() || std::fread(image.data(), 1, image.size(), f) == image.size();
    std::fclose(f);
    if (!read) {
        return {CCDR_IO_ERROR, "cannot read the snapshot file " + file};
    }
    // A refused file is left where it is, as the ABI asks.
    Status st = install_image(database, info, image);
    if (!st) {
        return st;
    }
    std::filesystem::remove(file, ec);  // taken, as a rename would
    file_imports_++;
    return {};
}

Status MemoryHost::install_image(std::string_view database, const ccdr_snapshot_info& info,
                                 const std::vector<uint8_t>& image) {
    if (image.size() != info.total_bytes) {
        return {CCDR_CORRUPT, "snapshot has " + std::to_string(image.size()) + " bytes, expected " +
                                  std::to_string(info.total_bytes)};
    }
    std::vector<StoredTx> content;
    size_t off = 0;
    while (off < image.size()) {
        if (image.size() - off < 20) {
            return {CCDR_CORRUPT, "snapshot truncated at byte " + std::to_string(off)};
        }
        StoredTx tx;
        uint32_t len = 0;
        std::memcpy(&tx.tx_id, &image[off], 8);
        std::memcpy(&tx.commit_time_ms, &image[off + 8], 8);
        std::memcpy(&len, &image[off + 16], 4);
        off += 20;
        if (image.size() - off < len) {
            return {CCDR_CORRUPT, "snapshot truncated in tx " + std::to_string(tx.tx_id)};
        }
        tx.payload.assign(image.begin() + static_cast<std::ptrdiff_t>(off),
                          image.begin() + static_cast<std::ptrdiff_t>(off + len));
        off += len;
        content.push_back(std::move(tx));
    }
    if (!content.empty() && content.back().tx_id != info.tx_id) {
        return {CCDR_CORRUPT, "snapshot ends at tx " + std::to_string(content.back().tx_id) + ", header says " +
                                  std::to_string(info.tx_id)};
    }
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(database));
        if (it == members_.end()) {
            return not_found(database);
        }
        MemoryMember& m = it->second;
        m.content = std::move(content);
        m.log.clear();
        m.last_tx = info.tx_id;
        m.last_time_ms = info.commit_time_ms;
        m.oldest_retained = info.tx_id + 1;
    }
    changed_.notify_all();
    return {};
}

Status MemoryHost::create_database(const DatabaseSpec& spec) {
    if (spec.name.empty() || spec.name == "system") {
        return {CCDR_INVALID_ARGUMENT, "invalid database name '" + spec.name + "'"};
    }
    if (spec.primaries + spec.secondaries == 0) {
        return {CCDR_INVALID_ARGUMENT, "a database needs at least one member"};
    }
    {
        std::lock_guard lock(mu_);
        if (spec.primaries + spec.secondaries > seats_) {
            return {CCDR_INVALID_ARGUMENT, "this host has " + seats_text() + "; cannot allocate " +
                                               std::to_string(spec.primaries + spec.secondaries) + " members"};
        }
        if (members_.count(spec.name) != 0) {
            return {CCDR_INVALID_ARGUMENT, "database '" + spec.name + "' already exists"};
        }
        MemoryMember m;
        m.kind = spec.kind;
        m.store_id = spec.store_id.empty() ? random_store_id() : spec.store_id;
        m.epoch = spec.epoch == 0 ? 1 : spec.epoch;
        m.options = spec.options;
        m.primaries = spec.primaries;
        m.secondaries = spec.secondaries;
        members_[spec.name] = std::move(m);
    }
    send_event(spec.name, CCDR_EVENT_CREATED, spec.kind);
    send_event(spec.name, CCDR_EVENT_STARTED, spec.kind);
    return {};
}

Status MemoryHost::drop_database(std::string_view name) {
    ccdr_database_kind kind;
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(name));
        if (it == members_.end()) {
            return not_found(name);
        }
        kind = it->second.kind;
    }
    send_event(std::string(name), CCDR_EVENT_STOPPED, kind);
    {
        std::lock_guard lock(mu_);
        members_.erase(std::string(name));
    }
    send_event(std::string(name), CCDR_EVENT_DROPPED, kind);
    return {};
}

Status MemoryHost::set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) {
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(std::string(name));
        if (it == members_.end()) {
            return not_found(name);
        }
        if (it->second.kind != CCDR_KIND_REPLICA || kind != CCDR_KIND_STANDARD) {
            return {CCDR_INVALID_ARGUMENT, "only a replica can change kind, and only to standard"};
        }
        if (fail_next_promotion_) {
            fail_next_promotion_ = false;
            return {CCDR_IO_ERROR, "set_database_kind: injected failure"};
        }
    }
    send_event(std::string(name), CCDR_EVENT_STOPPED, CCDR_KIND_REPLICA);
    {
        std::lock_guard lock(mu_);
        auto& m = members_[std::string(name)];
        m.kind = CCDR_KIND_STANDARD;
        m.epoch = epoch;
    }
    send_event(std::string(name), CCDR_EVENT_PROMOTED, CCDR_KIND_STANDARD);
    send_event(std::string(name), CCDR_EVENT_STARTED, CCDR_KIND_STANDARD);
    return {};
}

Status MemoryHost::set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(name));
    if (it == members_.end()) {
        return not_found(name);
    }
    if (primaries + secondaries == 0 || primaries + secondaries > seats_) {
        return {CCDR_INVALID_ARGUMENT, "this host has " + seats_text() + "; a topology must have 1 to " +
                                           std::to_string(seats_) + " members"};
    }
    it->second.primaries = primaries;
    it->second.secondaries = secondaries;
    ++topology_changes_;
    return {};
}

Status MemoryHost::promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                         uint32_t secondaries) {
    {
        std::lock_guard lock(mu_);
        if (!one_step_promotion_) {
            return {CCDR_UNSUPPORTED, "this host does not promote with a topology in one step"};
        }
        auto it = members_.find(std::string(name));
        if (it == members_.end()) {
            return not_found(name);
        }
        if (it->second.kind != CCDR_KIND_REPLICA) {
            return {CCDR_INVALID_ARGUMENT, "only a replica can be promoted"};
        }
        if (primaries == 0 || primaries + secondaries > seats_) {
            return {CCDR_INVALID_ARGUMENT, "this host has " + seats_text() + "; cannot place " +
                                               std::to_string(primaries) + " primaries and " +
                                               std::to_string(secondaries) + " secondaries"};
        }
        if (fail_next_promotion_) {
            fail_next_promotion_ = false;
            return {CCDR_IO_ERROR, "promote_with_topology: injected failure"};
        }
    }
    send_event(std::string(name), CCDR_EVENT_STOPPED, CCDR_KIND_REPLICA);
    {
        std::lock_guard lock(mu_);
        auto& m = members_[std::string(name)];
        m.kind = CCDR_KIND_STANDARD;
        m.epoch = epoch;
        m.primaries = primaries;
        m.secondaries = secondaries;
        ++topology_changes_;
    }
    send_event(std::string(name), CCDR_EVENT_PROMOTED, CCDR_KIND_STANDARD);
    send_event(std::string(name), CCDR_EVENT_STARTED, CCDR_KIND_STANDARD);
    return {};
}

Result<DatabaseInfo> MemoryHost::database_info(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(name));
    if (it == members_.end()) {
        return not_found(name);
    }
    const MemoryMember& m = it->second;
    DatabaseInfo info;
    info.name = std::string(name);
    info.kind = m.kind;
    info.requested_online = m.online;
    info.primaries = m.primaries;
    info.secondaries = m.secondaries;
    info.store_id = m.store_id;
    info.epoch = m.epoch;
    auto bolt = settings_.count("server.bolt.listen_address") ? settings_.at("server.bolt.listen_address") : "";
    auto cluster =
        settings_.count("server.cluster.listen_address") ? settings_.at("server.cluster.listen_address") : "";
    info.members.push_back(MemberInfo{server_id_, bolt, cluster, CCDR_ROLE_PRIMARY,
                                      m.kind == CCDR_KIND_STANDARD, m.online ? CCDR_DB_ONLINE : CCDR_DB_OFFLINE, true,
                                      m.last_tx, m.last_time_ms});
    if (auto peers = peer_members_.find(std::string(name)); peers != peer_members_.end()) {
        info.members.insert(info.members.end(), peers->second.begin(), peers->second.end());
    }
    return info;
}

void MemoryHost::set_peer_members(const std::string& database, std::vector<MemberInfo> peers) {
    std::lock_guard lock(mu_);
    for (auto& p : peers) {
        p.is_local = false;
    }
    peer_members_[database] = std::move(peers);
}

Status MemoryHost::set_database_option(std::string_view name, std::string_view key, const Value* value) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(name));
    if (it == members_.end()) {
        return not_found(name);
    }
    auto& opts = it->second.options;
    std::erase_if(opts, [&](const auto& kv) { return kv.first == key; });
    if (value != nullptr) {
        opts.emplace_back(std::string(key), *value);
    }
    return {};
}

Result<Value> MemoryHost::get_database_option(std::string_view name, std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(name));
    if (it == members_.end()) {
        return not_found(name);
    }
    for (const auto& [k, v] : it->second.options) {
        if (k == key) {
            return v;
        }
    }
    return Value();
}

void MemoryHost::set_users(std::vector<UserInfo> users) {
    std::lock_guard lock(mu_);
    users_ = std::move(users);
}

Result<std::vector<UserInfo>> MemoryHost::list_users() {
    std::lock_guard lock(mu_);
    return users_;
}

void MemoryHost::set_unanswering_servers(std::map<std::string, std::string> servers) {
    std::lock_guard lock(mu_);
    unanswering_ = std::move(servers);
}

Status MemoryHost::cluster_subscriptions(std::string_view database, const ccdr_subscription_sink& out) {
    std::map<std::string, std::string> unanswering;
    {
        std::lock_guard lock(mu_);
        unanswering = unanswering_;
    }
    // This server's instance answers through the hook (the plugin's own
    // rows, unchanged); the servers set unanswering report why they cannot.
    Status own = plugin_ ? plugin_->list_subscriptions(database, out)
                         : Status(CCDR_STOPPED, "no plugin is attached to " + server_id_);
    if (!own) {
        ccdr_status st = out.server_failed(out.ctx, to_abi(server_id_), own.code(), to_abi(own.message()));
        if (st != CCDR_OK) {
            return {st, "the plugin stopped the listing"};
        }
    }
    for (const auto& [server, reason] : unanswering) {
        ccdr_status st = out.server_failed(out.ctx, to_abi(server), CCDR_DATABASE_UNAVAILABLE, to_abi(reason));
        if (st != CCDR_OK) {
            return {st, "the plugin stopped the listing"};
        }
    }
    return {};
}

// --- ABI 1.2, switching regions: fencing and make_replica ----------------------

void MemoryHost::fail_next_access() {
    std::lock_guard lock(mu_);
    fail_next_access_ = true;
}

void MemoryHost::fail_next_make_replica() {
    std::lock_guard lock(mu_);
    fail_next_make_replica_ = true;
}

uint64_t MemoryHost::replicas_made() const {
    std::lock_guard lock(mu_);
    return replicas_made_;
}

Result<uint64_t> MemoryHost::set_database_access(std::string_view name, bool read_only, std::string_view reason) {
    std::lock_guard lock(mu_);
    auto it = members_.find(std::string(name));
    if (it == members_.end()) {
        return not_found(name);
    }
    MemoryMember& m = it->second;
    if (m.kind != CCDR_KIND_STANDARD) {
        return Status(CCDR_INVALID_ARGUMENT, "'" + std::string(name) + "' is not a standard database: only a "
                                             "standard database can be fenced or unfenced");
    }
    if (fail_next_access_) {
        fail_next_access_ = false;
        return Status(CCDR_IO_ERROR, "set_database_access: injected failure");
    }
    m.read_only = read_only;
    m.access_reason = read_only ? std::string(reason) : std::string();
    return m.last_tx;
}

Status MemoryHost::make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ValueMap& options,
                                const ccdr_undone_sink* undone) {
    const std::string db(name);
    std::vector<StoredTx> undo;
    {
        std::lock_guard lock(mu_);
        auto it = members_.find(db);
        if (it == members_.end()) {
            return not_found(name);
        }
        const MemoryMember& m = it->second;
        if (m.kind != CCDR_KIND_STANDARD) {
            return {CCDR_INVALID_ARGUMENT, "'" + db + "' is not a standard database: only a standard database can "
                                           "become a replica"};
        }
        if (epoch <= m.epoch) {
            return {CCDR_INVALID_ARGUMENT, "epoch " + std::to_string(epoch) + " is not greater than the database's " +
                                               std::to_string(m.epoch)};
        }
        if (to_tx > m.last_tx) {
            return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(to_tx) + " is beyond the last committed tx " +
                                               std::to_string(m.last_tx)};
        }
        if (to_tx < m.last_tx && to_tx > 0 && m.oldest_retained > 1) {
            return {CCDR_LOG_PRUNED, "the member on " + server_id_ + " cannot go back to tx " + std::to_string(to_tx) +
                                         ": its log starts at tx " + std::to_string(m.oldest_retained)};
        }
        for (const auto& tx : m.log) {
            if (tx.tx_id > to_tx) {
                undo.push_back(tx);
            }
        }
    }
    if (!undo.empty() && (undone == nullptr || undone->tx == nullptr)) {
        return {CCDR_INVALID_ARGUMENT, std::to_string(undo.size()) + " transaction(s) would be undone and no sink "
                                       "was given"};
    }
    for (const auto& tx : undo) {
        static const char* kHex = "0123456789abcdef";
        std::string changes = "{\"payload\":\"";
        for (uint8_t b : tx.payload) {
            changes += kHex[b >> 4];
            changes += kHex[b & 15];
        }
        changes += "\",\"bytes\":" + std::to_string(tx.payload.size()) + "}";
        ccdr_undone_tx u{};
        u.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_undone_tx);
        u.tx_id = tx.tx_id;
        u.commit_time_ms = tx.commit_time_ms;
        u.payload = ccdr_bytes{tx.payload.data(), tx.payload.size()};
        u.changes = to_abi(changes);
        ccdr_status rc = undone->tx(undone->ctx, &u);
        if (rc != CCDR_OK) {
            return {rc, "the sink refused undone tx " + std::to_string(tx.tx_id)};
        }
    }
    {
        std::lock_guard lock(mu_);
        if (fail_next_make_replica_) {
            fail_next_make_replica_ = false;
            return {CCDR_IO_ERROR, "make_replica: injected failure"};
        }
    }
    send_event(db, CCDR_EVENT_STOPPED, CCDR_KIND_STANDARD);
    {
        std::lock_guard lock(mu_);
        MemoryMember& m = members_[db];
        auto cut = [&](std::vector<StoredTx>& v) {
            v.erase(std::remove_if(v.begin(), v.end(), [&](const StoredTx& t) { return t.tx_id > to_tx; }), v.end());
        };
        cut(m.log);
        cut(m.content);
        if (to_tx < m.last_tx) {
            m.last_time_ms = 0;
            for (const auto& t : m.content) {
                m.last_time_ms = t.tx_id == to_tx ? t.commit_time_ms : m.last_time_ms;
            }
        }
        m.last_tx = to_tx;
        m.oldest_retained = std::min(m.oldest_retained, to_tx + 1);
        m.kind = CCDR_KIND_REPLICA;
        m.epoch = epoch;
        m.options = options;
        m.read_only = false;
        m.access_reason.clear();
        ++replicas_made_;
    }
    changed_.notify_all();
    send_event(db, CCDR_EVENT_STARTED, CCDR_KIND_REPLICA);
    return {};
}

}  // namespace ccdr::test
