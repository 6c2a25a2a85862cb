// examples/refhost/plugin_host/store_access.hpp: the host side of the ABI's
// calls on a member's store, answered for the member of `database` on the
// logical server `server`: the log's bounds and its reading (log_info,
// read_log), applying a replicated batch to a replica member (apply_batch),
// snapshots (snapshot_export, snapshot_import, and since ABI 1.2 through
// files: snapshot_export_file, snapshot_import_file), and fingerprints.
// ServerHost answers a plugin instance's calls through it; tests call it
// directly. The refhost's own copying between the members of one cluster is
// elsewhere (dbms/member_catch_up.hpp): it does not go through the ABI.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/host_adapter.hpp>
#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace refhost {

class Cluster;
class Member;

class StoreAccess {
public:
    explicit StoreAccess(Cluster& cluster) : cluster_(cluster) {}

    ccdr::Result<ccdr_log_info> log_info(size_t server, std::string_view database);
    // A transaction longer than tx_max_bytes is visited without its payload
    // (ABI 1.2 read_log_bounded); log_tx_open reads it in pieces.
    ccdr::Status read_log(size_t server, std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                          const ccdr_tx_visitor& visitor, uint64_t tx_max_bytes = UINT64_MAX);
    ccdr::Result<std::unique_ptr<ccdr::HostServer::LoggedTx>> log_tx_open(size_t server, std::string_view database,
                                                                          uint64_t tx_id);
    // Replica members only; the plugins' before_commit (origin REPLICATION)
    // is asked first. One storage transaction, ids and times kept.
    ccdr::Status apply_batch(size_t server, std::string_view database, std::span<const ccdr_tx> txs);
    // ABI 1.2: one transaction applied in parts (replica members only; the
    // plugins' before_commit is asked first, as for apply_batch). The
    // object holds the member's write lock until it commits or is
    // destroyed (store/member_apply_parts.hpp).
    ccdr::Result<std::unique_ptr<ccdr::HostServer::TxInParts>> apply_tx_begin(size_t server,
                                                                              std::string_view database,
                                                                              uint64_t tx_id, int64_t commit_time_ms,
                                                                              uint64_t total_bytes);
    ccdr::Status snapshot_export(size_t server, std::string_view database, const ccdr_snapshot_sink& sink);
    // Replica members only: the member's store is replaced whole.
    ccdr::Status snapshot_import(size_t server, std::string_view database, const ccdr_snapshot_info& info,
                                 const ccdr_snapshot_source& source);
    // ABI 1.2: the snapshot written straight into the new file `path` (the
    // plugin's spool), and a verified snapshot file adopted by rename
    // (replica members only). MemberStore::export_snapshot_file and
    // import_snapshot_file say how; a refused file is left at `path`.
    ccdr::Result<ccdr_snapshot_info> snapshot_export_file(size_t server, std::string_view database,
                                                          std::string_view path);
    ccdr::Status snapshot_import_file(size_t server, std::string_view database, const ccdr_snapshot_info& info,
                                      std::string_view path);
    // ABI 1.1: the member on the server named `server_id` (empty: `server`).
    ccdr::Result<ccdr::Fingerprint> content_fingerprint(size_t server, std::string_view database,
                                                        std::string_view server_id);
    // ABI 1.2: that member's running fingerprint as of tx_id (0: now).
    ccdr::Result<ccdr::Fingerprint> running_fingerprint(size_t server, std::string_view database,
                                                        std::string_view server_id, uint64_t tx_id);

private:
    // What apply_batch and apply_tx_begin check first: a replica member of
    // `database` on `server`, online or stopping, and the plugins'
    // before_commit (origin REPLICATION) not vetoing.
    ccdr::Result<std::shared_ptr<Member>> admit_replicated_write(size_t server, std::string_view database,
                                                                 const char* call);

    // The member of `database` on the server named `server_id` (empty:
    // `server`), online.
    ccdr::Result<std::shared_ptr<Member>> online_member(size_t server, std::string_view database,
                                                        std::string_view server_id);

    Cluster& cluster_;
};

}  // namespace refhost
