#include "system/system_db.hpp"

#include "store/bytes.hpp"
#include "store/file_util.hpp"
#include "store/value_codec.hpp"

#include <functional>

namespace refhost {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, roles TEXT NOT NULL,
  change_required INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS servers(id TEXT PRIMARY KEY, idx INTEGER NOT NULL UNIQUE, name TEXT NOT NULL,
  bolt TEXT NOT NULL, cluster TEXT NOT NULL, mode TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS databases(name TEXT PRIMARY KEY, kind INTEGER NOT NULL, store_id TEXT NOT NULL,
  epoch INTEGER NOT NULL, primaries INTEGER NOT NULL, secondaries INTEGER NOT NULL,
  requested_online INTEGER NOT NULL, created INTEGER NOT NULL, started INTEGER NOT NULL,
  stopped INTEGER NOT NULL, options BLOB NOT NULL, read_only INTEGER NOT NULL DEFAULT 0,
  access_reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS members(database TEXT NOT NULL, server TEXT NOT NULL, role INTEGER NOT NULL,
  writer INTEGER NOT NULL, PRIMARY KEY (database, server));
)sql";

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : ",") + s;
    }
    return out;
}

std::vector<std::string> split(std::string_view s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string_view::npos) {
            comma = s.size();
        }
        if (comma > start) {
            out.emplace_back(s.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return out;
}

}  // namespace

ccdr::Status SystemDb::add_column_if_missing(const std::string& table, const std::string& column,
                                           const std::string& declaration) {
    auto q = db_.prepare("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'");
    if (!q) {
        return q.status();
    }
    if (q->step() == SQLITE_ROW) {
        return {};
    }
    return db_.exec("ALTER TABLE " + table + " ADD COLUMN " + column + " " + declaration);
}

ccdr::Result<std::unique_ptr<SystemDb>> SystemDb::open(const std::filesystem::path& file) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    auto db = sql::Connection::open(file.string(), true);
    if (!db) {
        return db.status();
    }
    std::unique_ptr<SystemDb> s(new SystemDb());
    s->db_ = std::move(db.value());
    ccdr::Status st = s->db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000");
    if (st) {
        st = s->db_.exec(kSchema);
    }
    // Homes made before users carried the flag get it, unset; homes made
    // before ALTER DATABASE ... SET ACCESS get every database read-write.
    if (st) {
        st = s->add_column_if_missing("users", "change_required", "INTEGER NOT NULL DEFAULT 0");
    }
    if (st) {
        st = s->add_column_if_missing("databases", "read_only", "INTEGER NOT NULL DEFAULT 0");
    }
    // ... and homes made before a fence could carry a reason get none.
    if (st) {
        st = s->add_column_if_missing("databases", "access_reason", "TEXT NOT NULL DEFAULT ''");
    }
    if (!st) {
        return st;
    }
    auto id = s->meta("cluster_id");
    if (!id) {
        return id.status();
    }
    if (id->empty()) {
        st = s->set_meta("cluster_id", random_uuid());
        if (!st) {
            return st;
        }
    }
    return s;
}

ccdr::Status SystemDb::in_transaction(const std::function<ccdr::Status()>& body) {
    ccdr::Status st = db_.exec("BEGIN IMMEDIATE");
    if (!st) {
        return st;
    }
    st = body();
    if (st) {
        st = db_.exec("COMMIT");
    }
    if (!st) {
        (void)db_.exec("ROLLBACK");
    }
    return st;
}

ccdr::Result<std::string> SystemDb::meta(const std::string& key) {
    auto q = db_.prepare("SELECT value FROM meta WHERE key = ?");
    if (!q) {
        return q.status();
    }
    q->bind_text(1, key);
    int rc = q->step();
    if (rc == SQLITE_ROW) {
        return std::string(q->text(0));
    }
    if (rc == SQLITE_DONE) {
        return std::string();
    }
    return db_.error("reading system meta " + key, rc);
}

ccdr::Status SystemDb::set_meta(const std::string& key, const std::string& value) {
    auto q = db_.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!q) {
        return q.status();
    }
    q->bind_text(1, key);
    q->bind_text(2, value);
    return sql::step_done(db_, *q, "writing system meta " + key);
}

std::string SystemDb::cluster_id() {
    std::lock_guard lock(mu_);
    auto id = meta("cluster_id");
    return id ? *id : std::string();
}

std::string SystemDb::get_meta(const std::string& key) {
    std::lock_guard lock(mu_);
    auto v = meta(key);
    return v ? *v : std::string();
}

ccdr::Status SystemDb::put_meta(const std::string& key, const std::string& value) {
    std::lock_guard lock(mu_);
    return set_meta(key, value);
}

uint64_t SystemDb::system_tx() {
    std::lock_guard lock(mu_);
    auto v = meta("system_tx");
    return v && !v->empty() ? std::stoull(*v) : 0;
}

ccdr::Status SystemDb::write_user(const UserRecord& u) {
    auto q = db_.prepare(
        "INSERT INTO users(name, password_hash, roles, change_required) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, roles = excluded.roles, "
        "change_required = excluded.change_required");
    if (!q) {
        return q.status();
    }
    std::string roles = join(u.roles);
    q->bind_text(1, u.name);
    q->bind_text(2, u.password_hash);
    q->bind_text(3, roles);
    q->bind(4, static_cast<int64_t>(u.password_change_required ? 1 : 0));
    return sql::step_done(db_, *q, "writing user " + u.name);
}

ccdr::Status SystemDb::bump_system_tx() {
    auto tx = meta("system_tx");
    if (!tx) {
        return tx.status();
    }
    uint64_t next = (tx->empty() ? 0 : std::stoull(*tx)) + 1;
    return set_meta("system_tx", std::to_string(next));
}

ccdr::Status SystemDb::put_user(const UserRecord& u) {
    std::lock_guard lock(mu_);
    return write_user(u);
}

ccdr::Status SystemDb::save_user(const UserRecord& u) {
    std::lock_guard lock(mu_);
    return in_transaction([&]() -> ccdr::Status {
        ccdr::Status st = write_user(u);
        return st ? bump_system_tx() : st;
    });
}

ccdr::Status SystemDb::delete_user(const std::string& name) {
    std::lock_guard lock(mu_);
    return in_transaction([&]() -> ccdr::Status {
        auto q = db_.prepare("DELETE FROM users WHERE name = ?");
        if (!q) {
            return q.status();
        }
        q->bind_text(1, name);
        ccdr::Status st = sql::step_done(db_, *q, "deleting user " + name);
        return st ? bump_system_tx() : st;
    });
}

std::optional<UserRecord> SystemDb::user(const std::string& name) {
    std::lock_guard lock(mu_);
    auto q = db_.prepare("SELECT name, password_hash, roles, change_required FROM users WHERE name = ?");
    if (!q) {
        return std::nullopt;
    }
    q->bind_text(1, name);
    if (q->step() != SQLITE_ROW) {
        return std::nullopt;
    }
    return UserRecord{std::string(q->text(0)), std::string(q->text(1)), split(q->text(2)), q->int64(3) != 0};
}

std::vector<UserRecord> SystemDb::users() {
    std::lock_guard lock(mu_);
    std::vector<UserRecord> out;
    auto q = db_.prepare("SELECT name, password_hash, roles, change_required FROM users ORDER BY name");
    if (!q) {
        return out;
    }
    while (q->step() == SQLITE_ROW) {
        out.push_back(
            UserRecord{std::string(q->text(0)), std::string(q->text(1)), split(q->text(2)), q->int64(3) != 0});
    }
    return out;
}

std::vector<ServerRecord> SystemDb::servers() {
    std::lock_guard lock(mu_);
    std::vector<ServerRecord> out;
    auto q = db_.prepare("SELECT id, idx, name, bolt, cluster, mode FROM servers ORDER BY idx");
    if (!q) {
        return out;
    }
    while (q->step() == SQLITE_ROW) {
        out.push_back(ServerRecord{std::string(q->text(0)), static_cast<size_t>(q->int64(1)), std::string(q->text(2)),
                                   std::string(q->text(3)), std::string(q->text(4)), std::string(q->text(5))});
    }
    return out;
}

ccdr::Status SystemDb::put_servers(const std::vector<ServerRecord>& servers) {
    std::lock_guard lock(mu_);
    return in_transaction([&]() -> ccdr::Status {
        ccdr::Status st = db_.exec("DELETE FROM servers");
        auto q = db_.prepare("INSERT INTO servers(id, idx, name, bolt, cluster, mode) VALUES (?, ?, ?, ?, ?, ?)");
        if (!q) {
            return q.status();
        }
        for (const auto& s : servers) {
            if (!st) {
                return st;
            }
            q->bind_text(1, s.id);
            q->bind(2, static_cast<int64_t>(s.index));
            q->bind_text(3, s.name);
            q->bind_text(4, s.bolt_address);
            q->bind_text(5, s.cluster_address);
            q->bind_text(6, s.mode_constraint);
            st = sql::step_done(db_, *q, "writing server " + s.name);
        }
        return st;
    });
}

bool SystemDb::initialised() {
    std::lock_guard lock(mu_);
    auto v = meta("initialised");
    return v && *v == "1";
}

ccdr::Status SystemDb::save(const std::vector<DatabaseRecord>& changed, const std::vector<std::string>& dropped) {
    std::lock_guard lock(mu_);
    return in_transaction([&]() -> ccdr::Status {
        auto del_db = db_.prepare("DELETE FROM databases WHERE name = ?");
        auto del_members = db_.prepare("DELETE FROM members WHERE database = ?");
        auto ins_db = db_.prepare(
            "INSERT INTO databases(name, kind, store_id, epoch, primaries, secondaries, requested_online, created, "
            "started, stopped, options, read_only, access_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        auto ins_member = db_.prepare("INSERT INTO members(database, server, role, writer) VALUES (?, ?, ?, ?)");
        for (auto* q : {&del_db, &del_members, &ins_db, &ins_member}) {
            if (!*q) {
                return q->status();
            }
        }
        auto remove = [&](const std::string& name) -> ccdr::Status {
            del_db->bind_text(1, name);
            ccdr::Status st = sql::step_done(db_, *del_db, "deleting database " + name);
            if (st) {
                del_members->bind_text(1, name);
                st = sql::step_done(db_, *del_members, "deleting members of " + name);
            }
            return st;
        };
        for (const auto& name : dropped) {
            ccdr::Status st = remove(name);
            if (!st) {
                return st;
            }
        }
        for (const auto& d : changed) {
            ccdr::Status st = remove(d.name);
            if (!st) {
                return st;
            }
            std::vector<uint8_t> options = codec::encode_map(d.options);
            auto& q = *ins_db;
            q.bind_text(1, d.name);
            q.bind(2, static_cast<int64_t>(d.kind));
            q.bind_text(3, d.store_id);
            q.bind(4, d.epoch);
            q.bind(5, static_cast<int64_t>(d.primaries));
            q.bind(6, static_cast<int64_t>(d.secondaries));
            q.bind(7, static_cast<int64_t>(d.requested_online ? 1 : 0));
            q.bind(8, d.created_ms);
            q.bind(9, d.started_ms);
            q.bind(10, d.stopped_ms);
            q.bind_blob(11, options);
            q.bind(12, static_cast<int64_t>(d.read_only ? 1 : 0));
            q.bind_text(13, d.read_only ? std::string_view(d.access_reason) : std::string_view(""));  // never NULL
            st = sql::step_done(db_, q, "writing database " + d.name);
            for (const auto& m : d.members) {
                if (!st) {
                    break;
                }
                auto& mq = *ins_member;
                mq.bind_text(1, d.name);
                mq.bind_text(2, m.server_id);
                mq.bind(3, static_cast<int64_t>(m.role));
                mq.bind(4, static_cast<int64_t>(m.writer ? 1 : 0));
                st = sql::step_done(db_, mq, "writing a member of " + d.name);
            }
            if (!st) {
                return st;
            }
        }
        ccdr::Status st = bump_system_tx();
        if (st) {
            st = set_meta("initialised", "1");
        }
        return st;
    });
}

ccdr::Result<std::vector<DatabaseRecord>> SystemDb::databases() {
    std::lock_guard lock(mu_);
    std::vector<DatabaseRecord> out;
    auto q = db_.prepare(
        "SELECT name, kind, store_id, epoch, primaries, secondaries, requested_online, created, started, stopped, "
        "options, read_only, access_reason FROM databases ORDER BY name");
    auto mq = db_.prepare("SELECT server, role, writer FROM members WHERE database = ? ORDER BY server");
    if (!q) {
        return q.status();
    }
    if (!mq) {
        return mq.status();
    }
    int rc = 0;
    while ((rc = q->step()) == SQLITE_ROW) {
        DatabaseRecord d;
        d.name = std::string(q->text(0));
        d.kind = static_cast<ccdr_database_kind>(q->int64(1));
        d.store_id = std::string(q->text(2));
        d.epoch = static_cast<uint64_t>(q->int64(3));
        d.primaries = static_cast<uint32_t>(q->int64(4));
        d.secondaries = static_cast<uint32_t>(q->int64(5));
        d.requested_online = q->int64(6) != 0;
        d.created_ms = q->int64(7);
        d.started_ms = q->int64(8);
        d.stopped_ms = q->int64(9);
        d.read_only = q->int64(11) != 0;
        d.access_reason = std::string(q->text(12));
        if (!codec::decode_map(q->blob(10), d.options)) {
            return ccdr::Status(CCDR_CORRUPT, "the options of database " + d.name + " do not decode");
        }
        mq->bind_text(1, d.name);
        while (mq->step() == SQLITE_ROW) {
            d.members.push_back(MemberRecord{std::string(mq->text(0)), static_cast<ccdr_member_role>(mq->int64(1)),
                                             mq->int64(2) != 0});
        }
        mq->reset();
        out.push_back(std::move(d));
    }
    if (rc != SQLITE_DONE) {
        return db_.error("reading databases", rc);
    }
    return out;
}

}  // namespace refhost
