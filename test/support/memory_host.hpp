// test/support/memory_host.hpp: a complete host, in memory, for driving a
// plugin through the ABI without the refhost. One MemoryHost is one logical
// server of a one-server cluster: databases it creates have one member, here.
// Test helpers (commit, call_procedure, prune_log) play the host's clients.
#pragma once

#include <ccdr/host_adapter.hpp>
#include <ccdr/plugin_loader.hpp>
#include <ccdr/procedure.hpp>
#include <ccdr/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::test {

struct StoredTx {
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    std::vector<uint8_t> payload;
};

// One database member: its applied content and its transaction log.
struct MemoryMember {
    ccdr_database_kind kind = CCDR_KIND_STANDARD;
    std::string store_id;
    uint64_t epoch = 1;
    bool online = true;
    ValueMap options;
    std::vector<StoredTx> content;  // every tx applied since the store began (what a snapshot copies)
    std::vector<StoredTx> log;      // retained log: ids oldest_retained .. last
    uint64_t last_tx = 0;
    int64_t last_time_ms = 0;
    uint64_t oldest_retained = 1;
    uint64_t apply_batches = 0;
    uint32_t primaries = 1;  // the topology as requested (one member exists)
    uint32_t secondaries = 0;
    // ABI 1.2 (set_database_access): fenced, and why.
    bool read_only = false;
    std::string access_reason;
};

class MemoryHost final : public HostServer {
public:
    // `settings`: neo4j.conf keys and values this server has (others unknown).
    MemoryHost(std::string server_id, std::map<std::string, std::string> settings);
    ~MemoryHost() override;

    // --- wiring a plugin to this host ---
    // Validates ccdr.* settings against the plugin's declarations (defaults
    // filled in), creates and starts an instance; sends STARTED for every
    // existing member.
    // `host_vtable`: the vtable the plugin gets (default host_api(); a test
    // passes a copy cut to an older minor's size).
    Status attach(const ccdr_plugin_api* api, const ccdr_host_api* host_vtable = nullptr);
    // The settings half of attach: validates ccdr.* keys, fills defaults.
    Status configure(const ccdr_plugin_api* api);
    void detach();  // stop + destroy
    PluginInstanceHandle* plugin() { return plugin_.get(); }

    // --- playing a client ---
    // A user write: before_commit(USER) may veto; else appended durably with
    // the next id; after_commit notified. Returns the new tx id.
    Result<uint64_t> commit(const std::string& database, std::vector<uint8_t> payload);
    // Calls a registered procedure like the refhost would (types coerced,
    // roles checked); rows are returned as Values.
    Result<std::vector<ValueList>> call_procedure(const std::string& name, ValueList args, bool is_admin = true,
                                                  const std::string& database = "system");
    // Forgets log entries below `keep_from` (content stays).
    void prune_log(const std::string& database, uint64_t keep_from);
    // Makes the next apply_batch fail midway (nothing may change).
    void fail_next_apply();
    // Called at the start of every apply_batch, on the applying thread, with
    // the database and the batch's first tx, before anything is applied (a
    // test may block it there to see what the plugin does meanwhile).
    void set_apply_hook(std::function<void(const std::string& database, uint64_t first_tx)> hook);
    // Makes the next promotion (set_database_kind, promote_with_topology)
    // fail before it changes anything.
    void fail_next_promotion();
    // How many members a topology may have (default 1: this one server).
    // More only changes what is accepted and reported (database_info's
    // primaries and secondaries): there is still one member, here.
    // `one_step_promotion` false: promote_with_topology answers
    // CCDR_UNSUPPORTED, as a host that keeps the HostServer default.
    void set_seats(uint32_t seats, bool one_step_promotion = true);
    // set_topology and promote_with_topology calls that changed a topology.
    uint64_t topology_changes() const;
    // Changes one byte of the member's content behind the log's back, as a
    // damaged disk would (for verification tests).
    void tamper_content(const std::string& database);
    // Marks the member online or not (database_info then says OFFLINE), as a
    // failed member's server would show it; no event is sent.
    void set_online(const std::string& database, bool online);
    // Members of `database` on other servers (other MemoryHosts, as one
    // replica cluster's servers would be): database_info lists them after
    // this server's own member, is_local false, as given.
    void set_peer_members(const std::string& database, std::vector<MemberInfo> peers);
    // Blocks until the member's last tx reaches `tx_id` or the timeout passes.
    bool wait_for_tx(const std::string& database, uint64_t tx_id, int timeout_ms);

    // Servers of this host's (otherwise one-server) cluster that cannot
    // answer cluster_subscriptions (ABI 1.2), with the reason reported.
    void set_unanswering_servers(std::map<std::string, std::string> servers);
    // The users list_users (ABI 1.2) reports; none until set.
    void set_users(std::vector<UserInfo> users);
    std::optional<MemoryMember> member(const std::string& database) const;
    std::vector<std::pair<ccdr_log_level, std::string>> logs() const;
    // The lines logged at or after `since`, each with the time it was
    // logged (steady clock): a test that times a step reads which of the
    // plugin's steps took the time.
    struct TimedLine {
        std::chrono::steady_clock::time_point at;
        ccdr_log_level level;
        std::string line;
    };
    std::vector<TimedLine> logs_since(std::chrono::steady_clock::time_point since) const;
    bool log_contains(const std::string& needle) const;
    std::vector<std::string> procedure_names() const;

    // --- HostServer ---
    void log(ccdr_log_level level, std::string_view message) override;
    Result<std::string> get_setting(std::string_view key) override;
    Result<ServerInfo> server_info() override;
    Status register_procedure(const ccdr_procedure_def& def) override;
    Result<ccdr_log_info> log_info(std::string_view database) override;
    Status read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                    const ccdr_tx_visitor& visitor) override;
    Status apply_batch(std::string_view database, std::span<const ccdr_tx> txs) override;
    Status snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) override;
    Status snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                           const ccdr_snapshot_source& source) override;
    Result<ccdr_snapshot_info> snapshot_export_file(std::string_view database, std::string_view path) override;
    Status snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                std::string_view path) override;
    // ABI 1.2, one transaction in parts: the parts are gathered and the
    // whole transaction applied at commit through apply_batch (so its
    // before_commit, hook and injected failure apply). set_parts(false):
    // answers CCDR_UNSUPPORTED, as a host keeping the HostServer default.
    Result<std::unique_ptr<TxInParts>> apply_tx_begin(std::string_view database, uint64_t tx_id,
                                                      int64_t commit_time_ms, uint64_t total_bytes) override;
    void set_parts(bool supported) { parts_supported_.store(supported); }
    // The next apply_tx_part fails with CCDR_IO_ERROR (as a disk would).
    void fail_next_part() { fail_next_part_.store(true); }
    bool take_part_failure() { return fail_next_part_.exchange(false); }
    struct PartsCounts {
        int begun = 0;
        int parts = 0;
        int committed = 0;
        int aborted = 0;  // destroyed without a commit
        size_t largest_part = 0;
    };
    PartsCounts parts_counts() const;
    // ABI 1.2, the log read in pieces: a transaction longer than
    // tx_max_bytes visited without its payload, then read through a
    // LoggedTx. set_log_tx_reads(false): both answer CCDR_UNSUPPORTED (the
    // plugin then reads whole transactions). corrupt_next_log_tx(): the next
    // read delivering a transaction's last bytes fails CCDR_CORRUPT, as a
    // stored checksum that does not match would.
    Status read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes, uint64_t tx_max_bytes,
                            const ccdr_tx_visitor& visitor) override;
    Result<std::unique_ptr<LoggedTx>> log_tx_open(std::string_view database, uint64_t tx_id) override;
    void set_log_tx_reads(bool supported) { log_tx_reads_.store(supported); }
    void corrupt_next_log_tx() { corrupt_next_log_tx_.store(true); }
    bool take_log_tx_corruption() { return corrupt_next_log_tx_.exchange(false); }
    struct LogTxCounts {
        int header_only_visits = 0;  // transactions visited without their payload
        int opened = 0;
        size_t largest_read = 0;     // bytes asked of one log_tx_read
    };
    LogTxCounts log_tx_counts() const;
    // ABI 1.2 after_commit_txs: with handover on, commit() and apply_batch
    // hand the plugin what became durable with its payloads instead of
    // calling after_commit (a plugin without the hook hears after_commit).
    void set_commit_handover(bool on) { handover_.store(on); }
    // read_log and read_log_bounded calls that visited at least one
    // transaction, since the host began.
    int log_reads() const { return log_reads_.load(); }
    void count_log_tx_read(size_t bytes);
    void count_part(size_t bytes);
    void count_end(bool committed);
    // How snapshots went: streamed (snapshot_export / snapshot_import) or
    // through files (ABI 1.2).
    int streamed_exports() const { return streamed_exports_.load(); }
    int streamed_imports() const { return streamed_imports_.load(); }
    int file_exports() const { return file_exports_.load(); }
    // While held, snapshot_export_file waits before it writes: an export
    // that is still running when more store copies ask.
    void hold_exports(bool held);
    int file_imports() const { return file_imports_.load(); }
    Status create_database(const DatabaseSpec& spec) override;
    Status drop_database(std::string_view name) override;
    Status set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) override;
    Status set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) override;
    Status promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                 uint32_t secondaries) override;
    Result<DatabaseInfo> database_info(std::string_view name) override;
    Status set_database_option(std::string_view name, std::string_view key, const Value* value) override;
    Result<Value> get_database_option(std::string_view name, std::string_view key) override;
    Result<Fingerprint> content_fingerprint(std::string_view database, std::string_view server_id) override;
    Result<std::vector<UserInfo>> list_users() override;
    Status cluster_subscriptions(std::string_view database, const ccdr_subscription_sink& out) override;

    // --- ABI 1.2, switching regions: fencing and make_replica -----------------
    // set_database_access: the member's read_only flag and reason (commit()
    // is refused while fenced); returns the last tx. make_replica: the log
    // and content are cut to to_tx after the sink heard every undone tx
    // (changes: {"payload":"<hex>","bytes":n}); needs the log from tx 1 when
    // something is undone (as the refhost); records kind, epoch, options,
    // lifts the fence; events STOPPED then STARTED (REPLICA).
    Result<uint64_t> set_database_access(std::string_view name, bool read_only, std::string_view reason) override;
    Status make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ValueMap& options,
                        const ccdr_undone_sink* undone) override;
    // The next set_database_access / make_replica fails with CCDR_IO_ERROR
    // before it changes anything (make_replica: after the sink heard the
    // undone transactions, as a failed revert would).
    void fail_next_access();
    void fail_next_make_replica();
    // make_replica calls that succeeded.
    uint64_t replicas_made() const;

private:
    std::string seats_text() const;  // mu_ held
    void send_event(const std::string& database, ccdr_event_kind event, ccdr_database_kind kind);

    std::string server_id_;
    std::map<std::string, std::string> settings_;
    std::string data_dir_;

    Status read_log_bounded_impl(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                 uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor);
    std::atomic<bool> parts_supported_{true};
    std::atomic<bool> log_tx_reads_{true};
    std::atomic<bool> handover_{false};
    std::atomic<int> log_reads_{0};
    std::atomic<bool> corrupt_next_log_tx_{false};
    LogTxCounts log_tx_counts_;  // under mu_
    std::atomic<bool> fail_next_part_{false};
    PartsCounts parts_counts_;  // mu_

    mutable std::mutex mu_;
    std::condition_variable changed_;
    std::map<std::string, MemoryMember> members_;
    std::map<std::string, std::vector<MemberInfo>> peer_members_;  // set_peer_members
    std::map<std::string, Procedure> procedures_;
    std::vector<std::pair<ccdr_log_level, std::string>> logs_;
    std::vector<std::chrono::steady_clock::time_point> log_times_;  // when each of logs_ was logged
    // The image a snapshot carries (and its info) of `database`.
    Result<ccdr_snapshot_info> snapshot_image(std::string_view database, std::vector<uint8_t>& image);
    // `image` checked against `info` and made the member's content.
    Status install_image(std::string_view database, const ccdr_snapshot_info& info,
                         const std::vector<uint8_t>& image);
    std::atomic<int> streamed_exports_{0};
    std::atomic<int> streamed_imports_{0};
    std::atomic<int> file_exports_{0};
    std::mutex export_hold_mu_;
    std::condition_variable export_hold_cv_;
    bool exports_held_ = false;
    std::atomic<int> file_imports_{0};
    bool fail_next_apply_ = false;
    std::function<void(const std::string&, uint64_t)> apply_hook_;
    bool fail_next_promotion_ = false;
    uint32_t seats_ = 1;
    bool one_step_promotion_ = true;
    uint64_t topology_changes_ = 0;
    std::vector<UserInfo> users_;
    std::map<std::string, std::string> unanswering_;
    // ABI 1.2 fencing and make_replica (test hooks and a counter).
    bool fail_next_access_ = false;
    bool fail_next_make_replica_ = false;
    uint64_t replicas_made_ = 0;

    std::unique_ptr<PluginInstanceHandle> plugin_;
};

}  // namespace ccdr::test
