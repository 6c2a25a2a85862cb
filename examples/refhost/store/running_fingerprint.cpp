#include "store/running_fingerprint.hpp"

#include "store/node_label_set.hpp"

#include <xxhash.h>

#include <cstring>
#include <vector>

namespace refhost {
namespace {

constexpr XXH64_hash_t kSeed = 0x63636472'66703031ULL;  // "ccdrfp01"

// The canonical bytes of one record: tag, then fields, integers as 8 bytes
// little-endian, strings and blobs length-prefixed. Built in place: a
// record of up to 512 bytes (nearly all) costs no allocation, which was a
// tenth of apply_batch's time with a growing vector per record.
class RecordBytes {
public:
    explicit RecordBytes(char tag) { put_byte(static_cast<uint8_t>(tag)); }
    RecordBytes& i(int64_t v) {
        uint8_t le[8];
        auto u = static_cast<uint64_t>(v);
        for (int k = 0; k < 8; ++k) {
            le[k] = static_cast<uint8_t>(u >> (8 * k));
        }
        put(le, 8);
        return *this;
    }
    RecordBytes& b(std::span<const uint8_t> s) {
        i(static_cast<int64_t>(s.size()));
        put(s.data(), s.size());
        return *this;
    }
    RecordBytes& s(std::string_view s) {
        return b(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    }
    RunningSum hash() const {
        const uint8_t* data = heap_.empty() ? inline_ : heap_.data();
        XXH128_hash_t h = XXH3_128bits_withSeed(data, len_, kSeed);
        RunningSum out;
        out.hi = h.high64;
        out.lo = h.low64;
        return out;
    }

private:
    void put_byte(uint8_t b) { put(&b, 1); }
    void put(const uint8_t* p, size_t n) {
        if (heap_.empty() && len_ + n <= sizeof(inline_)) {
            std::memcpy(inline_ + len_, p, n);
        } else {
            if (heap_.empty()) {
                heap_.assign(inline_, inline_ + len_);
            }
            heap_.insert(heap_.end(), p, p + n);
        }
        len_ += n;
    }
    uint8_t inline_[512];
    size_t len_ = 0;
    std::vector<uint8_t> heap_;
};

bool has_column(sql::Connection& db, std::string_view table, std::string_view column, ccdr::Status& st) {
    auto q = db.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
    if (!q) {
        st = q.status();
        return false;
    }
    q->bind_text(1, table);
    q->bind_text(2, column);
    int rc = q->step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        st = db.error("reading the schema", rc);
    }
    return rc == SQLITE_ROW;
}

}  // namespace

std::array<uint8_t, 16> RunningSum::raw() const {
    std::array<uint8_t, 16> out{};
    for (int k = 0; k < 8; ++k) {
        out[static_cast<size_t>(k)] = static_cast<uint8_t>(hi >> (8 * (7 - k)));
        out[static_cast<size_t>(k + 8)] = static_cast<uint8_t>(lo >> (8 * (7 - k)));
    }
    return out;
}

std::string RunningSum::bytes() const {
    const auto r = raw();
    return std::string(reinterpret_cast<const char*>(r.data()), r.size());
}

bool RunningSum::from_bytes(std::span<const uint8_t> b, RunningSum& out) {
    if (b.size() != 16) {
        return false;
    }
    out = {};
    for (size_t k = 0; k < 8; ++k) {
        out.hi = (out.hi << 8) | b[k];
        out.lo = (out.lo << 8) | b[k + 8];
    }
    return true;
}

std::string RunningSum::hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string raw = bytes();
    std::string out;
    out.reserve(32);
    for (char c : raw) {
        auto u = static_cast<uint8_t>(c);
        out.push_back(kDigits[u >> 4]);
        out.push_back(kDigits[u & 15]);
    }
    return out;
}

namespace running_record {
RunningSum node(int64_t id, std::span<const uint8_t> props) { return RecordBytes('N').i(id).b(props).hash(); }
RunningSum label(int64_t node, std::string_view label) { return RecordBytes('L').i(node).s(label).hash(); }
RunningSum rel(int64_t id, std::string_view type, int64_t start, int64_t end) {
    return RecordBytes('R').i(id).s(type).i(start).i(end).hash();
}
RunningSum rel_props(int64_t id, std::span<const uint8_t> props) { return RecordBytes('P').i(id).b(props).hash(); }
}  // namespace running_record

ccdr::Result<RunningSum> compute_running_sum(sql::Connection& db) {
    RunningSum sum;
    auto scan = [&](const char* text, auto&& add) -> ccdr::Status {
        auto q = db.prepare(text);
        if (!q) {
            return q.status();
        }
        int rc = 0;
        while ((rc = q->step()) == SQLITE_ROW) {
            add(*q);
        }
        return rc == SQLITE_DONE ? ccdr::Status() : db.error("computing the running fingerprint", rc);
    };
    // A node's label records come from its row (format 2: the labels are
    // there, node_label_set.hpp); the sum does not depend on the order, so
    // this is the value format 1's scan of its labels table gave.
    bool labels_decode = true;
    ccdr::Status st = scan("SELECT id, labels, props FROM nodes", [&](sql::Statement& q) {
        const int64_t id = q.int64(0);
        sum.add(running_record::node(id, q.blob(2)));
        labels_decode = node_label_set::each(q.blob(1), [&](std::string_view label) {
            sum.add(running_record::label(id, label));
        }) && labels_decode;
    });
    if (st && !labels_decode) {
        st = ccdr::Status(CCDR_CORRUPT, "store " + db.path() + ": a node row's labels do not decode");
    }
    if (st) {
        st = scan("SELECT id, type, src, dst, props FROM rels", [&](sql::Statement& q) {
            sum.add(running_record::rel(q.int64(0), q.text(1), q.int64(2), q.int64(3)));
            sum.add(running_record::rel_props(q.int64(0), q.blob(4)));
        });
    }
    if (!st) {
        return st;
    }
    return sum;
}

ccdr::Status ensure_running_fingerprint(sql::Connection& db, bool track) {
    // Cheap checks first, outside a write transaction: a store that has
    // everything (the common case) costs two schema reads.
    ccdr::Status st;
    bool table = has_column(db, "running_fingerprint", "value", st);
    if (!st) {
        return st;
    }
    if (table && track) {
        auto q = db.prepare("SELECT 1 FROM running_fingerprint WHERE id = 1");
        if (!q) {
            return q.status();
        }
        if (q->step() == SQLITE_ROW) {
            return {};
        }
    }
    st = db.exec("BEGIN IMMEDIATE");
    if (!st) {
        return st;
    }
    auto fail = [&](ccdr::Status s) {
        (void)db.exec("ROLLBACK");
        return s.with_context("keeping the store's running fingerprint");
    };
    // Again under the write lock: another connection may have done it.
    table = has_column(db, "running_fingerprint", "value", st);
    if (st && !table) {
        st = db.exec("CREATE TABLE running_fingerprint(id INTEGER PRIMARY KEY CHECK (id = 1), "
                     "tx INTEGER NOT NULL, value BLOB NOT NULL)");
    }
    if (!st) {
        return fail(st);
    }
    if (!track) {
        st = db.exec("DELETE FROM running_fingerprint");
        return st ? db.exec("COMMIT") : fail(st);
    }
    auto have = db.prepare("SELECT 1 FROM running_fingerprint WHERE id = 1");
    if (!have) {
        return fail(have.status());
    }
    if (have->step() == SQLITE_ROW) {
        have->reset();
        return db.exec("COMMIT");
    }
    have->reset();
    auto sum = compute_running_sum(db);
    if (!sum) {
        return fail(sum.status());
    }
    auto ins = db.prepare(
        "INSERT INTO running_fingerprint(id, tx, value) SELECT 1, last_tx, ? FROM state WHERE id = 1");
    if (!ins) {
        return fail(ins.status());
    }
    std::string bytes = sum->bytes();
    ins->bind_blob(1, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    st = sql::step_done(db, *ins, "storing the running fingerprint");
    if (!st) {
        return fail(st);
    }
    return db.exec("COMMIT");
}

}  // namespace refhost
