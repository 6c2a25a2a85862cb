// ALTER DATABASE ... SET ACCESS READ ONLY | READ WRITE, and the plugin's
// set_database_access (ABI 1.2): a fence on every member of a database,
// kept in its system record (so it survives restarts) with the reason the
// plugin gave (shown as the members' statusMessage). A commit checks the
// flag while it holds the shared side of fence_mu_, between its write lock
// and its log append; the flag changes under the exclusive side. So once
// the fence returns, every transaction either has its id already
// (committed before the fence, and replicated as usual) or is refused with
// ForbiddenOnReadOnlyDatabase. Replication into a fenced database
// (apply_batch) is not a user write and goes on.
#include "dbms/cluster.hpp"

#include <ccdr/setting_values.hpp>

#include <mutex>

namespace refhost {

namespace {

// The highest transaction any member has written (durable or not): under
// the exclusive fence no user commit is between its append and its copy to
// the other primaries, so this is the last one that will ever commit.
std::shared_ptr<Member> last_writer(const DatabaseState& db, uint64_t& last) {
    std::shared_ptr<Member> best;
    last = 0;
    for (const auto& m : db.members) {
        auto store = m->store();
        if (!store) {
            continue;
        }
        uint64_t written = store->written_state().last_tx;
        if (!best || written > last) {
            best = m;
            last = written;
        }
    }
    return best;
}

}  // namespace

ccdr::Result<uint64_t> Cluster::set_access(const std::string& raw, bool read_only, const std::string& reason,
                                          bool standard_only) {
    std::lock_guard admin(admin_mu_);
    const std::string name = ccdr::settings::lower(raw);
    auto db = database(name);
    if (!db) {
        return ccdr::Status(CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" + name + "'.");
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "The access of the system database cannot be changed.");
    }
    if (standard_only && db->record.kind == CCDR_KIND_REPLICA) {
        // The plugin fences the databases it writes to; a replica's access
        // follows its kind (read-only until promoted).
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "'" + name + "' is a replica database: only a standard database "
                                                   "can be fenced or unfenced (a replica is read-only until it is "
                                                   "promoted).");
    }
    if (!read_only && db->record.kind == CCDR_KIND_REPLICA) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT,
                            "'" + name + "' is a replica database: it stays read-only until it is promoted; to make "
                            "it writable, promote it (CALL internal.dbms.promoteReplicaDatabase('" + name + "')).");
    }
    std::shared_ptr<Member> holder;
    uint64_t last = 0;
    const bool unchanged = db->record.read_only == read_only && (!read_only || db->record.access_reason == reason);
    {
        std::unique_lock fence(fence_mu_);
        ccdr::Status st;
        if (!unchanged) {
            st = update_record(name, [&](DatabaseRecord& r) {
                r.read_only = read_only;
                r.access_reason = read_only ? reason : std::string();
                return ccdr::Status();
            });
        }
        if (!st) {
            return st;
        }
        auto now = database(name);
        holder = last_writer(now ? *now : *db, last);
    }
    if (!unchanged) {
        log_->info("database '{}' is now {}{}", name,
                   read_only ? "read-only (ALTER DATABASE ... SET ACCESS READ ONLY)" : "read-write",
                   read_only && !reason.empty() ? ": " + reason : std::string());
    }
    if (read_only && holder && last > 0) {
        // The last commit before the fence may still be waiting for its
        // sync: the fence's answer is durable, and log_info says so.
        ccdr::Status st = holder->store()->make_durable(last);
        if (!st) {
            return st.with_context("fencing '" + name + "': making tx " + std::to_string(last) + " durable");
        }
    }
    return last;
}

}  // namespace refhost
