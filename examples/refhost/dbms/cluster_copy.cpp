// copy_database (ABI 1.2): a new standard database whose members start as
// a copy of one member of another database of this cluster. The plugin's
// internal.dbms.createDrillDatabase uses it to give operators a writable
// database with a replica's content, while the replica keeps applying.
//
// One snapshot of the source member (SQLite backup API: the applier is not
// stopped) is written to a file once and imported by every new member, each
// taking the new database's store id. Nothing is published before every
// member holds the copy: a failure deletes the new stores and leaves no
// database behind.
#include "dbms/cluster.hpp"

#include "store/file_util.hpp"

#include <ccdr/setting_values.hpp>

#include <cstdio>

namespace refhost {

namespace {

// A snapshot of one store, in a file, readable as many times as needed.
struct SnapshotFile {
    std::filesystem::path path;
    ccdr_snapshot_info info{};
    SnapshotFile() = default;
    SnapshotFile(const SnapshotFile&) = delete;
    SnapshotFile& operator=(const SnapshotFile&) = delete;
    ~SnapshotFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }

    ccdr::Status write_from(MemberStore& source) {
        std::FILE* out = std::fopen(path.c_str(), "wb");
        if (out == nullptr) {
            return {CCDR_IO_ERROR, "cannot create " + path.string()};
        }
        ccdr::Status st = source.export_snapshot(
            [&](const ccdr_snapshot_info& i) {
                info = i;
                return CCDR_OK;
            },
            [&](std::span<const uint8_t> chunk) {
                return std::fwrite(chunk.data(), 1, chunk.size(), out) == chunk.size() ? CCDR_OK : CCDR_IO_ERROR;
            });
        if (std::fclose(out) != 0 && st) {
            st = ccdr::Status(CCDR_IO_ERROR, "cannot write " + path.string());
        }
        return st;
    }

    ccdr::Result<std::shared_ptr<MemberStore>> import_into(MemberStore& target) const {
        std::FILE* in = std::fopen(path.c_str(), "rb");
        if (in == nullptr) {
            return ccdr::Status(CCDR_IO_ERROR, "cannot read " + path.string());
        }
        auto lock = target.lock_for_write();
        if (!lock) {
            std::fclose(in);
            return lock.status();
        }
        auto fresh = target.import_snapshot(
            *lock, info,
            [&](uint8_t* buf, size_t cap, size_t* n) {
                *n = std::fread(buf, 1, cap, in);
                return std::ferror(in) ? CCDR_IO_ERROR : CCDR_OK;
            },
            true);
        std::fclose(in);
        return fresh;
    }
};

}  // namespace

ccdr::Result<uint64_t> Cluster::copy_database(std::string_view raw_source, size_t source_server,
                                              const ccdr::DatabaseSpec& spec) {
    std::lock_guard admin(admin_mu_);
    std::string source = ccdr::settings::lower(raw_source);
    auto db = database(source);
    if (!db) {
        return ccdr::Status(CCDR_DATABASE_NOT_FOUND,
                            "Database does not exist. Database name: '" + std::string(raw_source) + "'.");
    }
    if (db->record.kind == CCDR_KIND_SYSTEM) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "The system database cannot be copied.");
    }
    if (spec.kind != CCDR_KIND_STANDARD || !spec.store_id.empty()) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT,
                            "A copy is a new standard database with a store id of its own (kind STANDARD, no store id).");
    }
    std::shared_ptr<Member> from;
    for (const auto& m : db->members) {
        if (m->server() == source_server) {
            from = m;
        }
    }
    if (!from) {
        return ccdr::Status(CCDR_DATABASE_NOT_FOUND,
                            "'" + source + "' has no member on " + servers_[source_server].name + ".");
    }
    if (!from->online()) {
        return ccdr::Status(CCDR_DATABASE_UNAVAILABLE,
                            "the member of '" + source + "' on " + servers_[source_server].name + " is not online.");
    }
    auto state = prepare_database(spec);
    if (!state) {
        return state.status();
    }
    auto& members = state.value()->members;
    SnapshotFile snapshot;
    snapshot.path = members.front()->store()->dir() / ("copy-" + random_hex(8) + ".tmp");
    ccdr::Status st = snapshot.write_from(*from->store());
    if (!st) {
        discard_database(*state.value());
        return st.with_context("copying '" + source + "' on " + servers_[source_server].name);
    }
    for (const auto& m : members) {
        auto fresh = snapshot.import_into(*m->store());
        if (!fresh) {
            discard_database(*state.value());
            return fresh.status().with_context("installing the copy on " + servers_[m->server()].name);
        }
        m->set_store(std::move(fresh.value()));
    }
    st = announce_database(std::move(state.value()));
    if (!st) {
        return st;
    }
    log_->info("database '{}' is a copy of '{}' on {} at tx {}", ccdr::settings::lower(spec.name), source,
               servers_[source_server].name, snapshot.info.tx_id);
    return snapshot.info.tx_id;
}

}  // namespace refhost
