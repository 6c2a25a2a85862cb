// ALTER DATABASE ... SET ACCESS READ ONLY | READ WRITE: a fence on every
// member of a database, kept in its system record (so it survives
// restarts). A commit checks the flag while it holds the shared side of
// fence_mu_, between its write lock and its log append; the flag changes
// under the exclusive side. So once SET ACCESS READ ONLY returns, every
// transaction either has its id already (committed before the fence, and
// replicated as usual) or is refused with ForbiddenOnReadOnlyDatabase.
// Replication into a fenced database (apply_batch) is not a user write and
// goes on.
#include "dbms/cluster.hpp"

#include <mutex>

namespace refhost {

ccdr::Status Cluster::set_access(const std::string& name, bool read_only) {
    std::lock_guard admin(admin_mu_);
    auto db = database(name);
    if (!db) {
        return {CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + name + "'."};
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        return {CCDR_INVALID_ARGUMENT, "The access of the system database cannot be changed."};
    }
    if (!read_only && db->record.kind == CCDR_KIND_REPLICA) {
        return {CCDR_INVALID_ARGUMENT,
                "'" + name + "' is a replica database: it stays read-only until it is promoted; to make it "
                "writable, promote it (CALL internal.dbms.promoteReplicaDatabase('" + name + "'))."};
    }
    if (db->record.read_only == read_only) {
        return {};
    }
    ccdr::Status st;
    {
        std::unique_lock fence(fence_mu_);
        st = update_record(name, [&](DatabaseRecord& r) {
            r.read_only = read_only;
            return ccdr::Status();
        });
    }
    if (st) {
        log_->info("database '{}' is now {}", name, read_only ? "read-only (ALTER DATABASE ... SET ACCESS READ ONLY)"
                                                              : "read-write");
    }
    return st;
}

}  // namespace refhost
