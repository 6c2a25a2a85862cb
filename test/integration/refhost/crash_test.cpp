// Crash safety: a process commits from several threads as fast as it can
// and is killed with SIGKILL at random moments; after every kill it is
// restarted (recovery), and at the end every acknowledged transaction is
// present, no transaction is half there, and tx ids have no gaps or repeats
// on every member. CCDR_CRASH_ROUNDS sets the number of kills (default 3;
// the long form runs 25).
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "store/value_codec.hpp"
#include "support/child_process.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <thread>

using namespace refhost;
using refhost::test::admin;
using refhost::test::ChildProcess;
using refhost::test::TempHome;

namespace {

int rounds() {
    const char* v = std::getenv("CCDR_CRASH_ROUNDS");
    return v != nullptr ? std::max(1, std::atoi(v)) : 3;
}

// tx id -> key of the pair it created, from a member's log.
std::map<uint64_t, std::string> log_keys(Cluster& c, size_t server) {
    std::map<uint64_t, std::string> out;
    uint64_t expected = 1;
    bool contiguous = true;
    struct Ctx {
        std::map<uint64_t, std::string>* out;
        uint64_t* expected;
        bool* contiguous;
    } ctx{&out, &expected, &contiguous};
    ccdr_tx_visitor v{CCDR_HEADER_INIT(ccdr_tx_visitor), &ctx, [](void* p, const ccdr_tx* tx) {
                          auto* x = static_cast<Ctx*>(p);
                          if (tx->tx_id != *x->expected) {
                              *x->contiguous = false;
                          }
                          *x->expected = tx->tx_id + 1;
                          ChangeRecordReader r(std::span<const uint8_t>(tx->payload.data, tx->payload.len));
                          ChangeOp op;
                          std::string key;
                          int nodes = 0;
                          while (r.next(op)) {
                              if (op.code == OpCode::CreateNode) {
                                  Map props;
                                  codec::decode_map(op.payload, props);
                                  key = props.at("key").as<std::string>();
                                  ++nodes;
                              }
                          }
                          (*x->out)[tx->tx_id] = nodes == 2 && !r.failed() ? key : "<malformed>";
                          return CCDR_OK;
                      }};
    ccdr::Status st = StoreAccess(c).read_log(server, "neo4j", 1, UINT64_MAX, v);
    REQUIRE(st.is_ok());
    CHECK(contiguous);
    return out;
}

}  // namespace

TEST_CASE("kill -9 at random moments loses no acknowledged transaction", "[refhost][crash]") {
    TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1",
                      "db.tx_log.rotation.retention_policy=keep_all"});
    std::map<uint64_t, std::string> acked;
    std::mt19937 rng(std::random_device{}());
    int n = rounds();
    size_t total_acks = 0;
    for (int round = 0; round < n; ++round) {
        ChildProcess writer({REFHOST_CRASH_WRITER, "--home", home.path().string(), "--threads", "4"}, home.path());
        INFO("round " << round << ", stderr: " << writer.err());
        REQUIRE(writer.wait_for_stdout("ready\n", std::chrono::seconds(60)));
        std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 600));
        writer.kill9();
        std::istringstream lines(writer.out());
        std::string line;
        std::string all = writer.out();
        size_t complete = all.rfind('\n');
        lines.str(all.substr(0, complete == std::string::npos ? 0 : complete + 1));
        while (std::getline(lines, line)) {
            if (line.rfind("ack ", 0) != 0) {
                continue;
            }
            std::istringstream fields(line.substr(4));
            uint64_t tx = 0;
            std::string key;
            fields >> tx >> key;
            REQUIRE(tx > 0);
            // A tx id is acknowledged once, ever: a lost commit would hand
            // its id to a later transaction.
            auto [it, fresh] = acked.emplace(tx, key);
            INFO("tx " << tx << " acknowledged for " << key << " and for " << it->second);
            REQUIRE(fresh);
            ++total_acks;
        }
    }
    CHECK(total_acks > 0);

    // Recovery runs at open: every member reaches the most advanced one.
    auto cluster = home.open_cluster();
    auto db = cluster->database("neo4j");
    uint64_t last = 0;
    for (const auto& m : db->members) {
        last = std::max(last, m->last_tx());
    }
    REQUIRE(last >= acked.rbegin()->first);
    std::printf("crash test: %d kills, %zu acknowledged commits, last tx %llu on every member\n", n, total_acks,
                static_cast<unsigned long long>(last));
    std::string hash;
    for (const auto& m : db->members) {
        INFO("server " << m->server());
        CHECK(m->last_tx() == last);
        auto keys = log_keys(*cluster, m->server());
        REQUIRE(keys.size() == last);
        CHECK(keys.begin()->first == 1);
        for (const auto& [tx, key] : acked) {
            INFO("acknowledged tx " << tx);
            REQUIRE(keys.count(tx) == 1);
            CHECK(keys[tx] == key);
        }
        // The graph: every transaction whole, nothing else.
        auto rd = cluster->begin(m->server(), "neo4j", AccessMode::Read, admin(), {}, std::chrono::seconds(5));
        REQUIRE(rd.ok());
        std::map<std::string, int> parts;
        std::map<int64_t, std::string> key_of;
        REQUIRE(rd.value()->graph().scan_nodes("Pair", [&](const Node& node) {
            std::string k = node.properties.at("key").as<std::string>();
            parts[k]++;
            key_of[node.id] = k;
            return true;
        }).ok());
        std::map<std::string, int> rels;
        REQUIRE(rd.value()->graph().scan_relationships("PAIRED", [&](const Relationship& r) {
            CHECK(key_of[r.start_id] == key_of[r.end_id]);
            rels[key_of[r.start_id]]++;
            return true;
        }).ok());
        CHECK(parts.size() == last);
        for (const auto& [k, count] : parts) {
            INFO("key " << k);
            CHECK(count == 2);
            CHECK(rels[k] == 1);
        }
        for (const auto& [tx, key] : acked) {
            CHECK(parts.count(key) == 1);
        }
        auto h = m->store()->content_hash();
        REQUIRE(h.is_ok());
        if (hash.empty()) {
            hash = h.value();
        }
        CHECK(h.value() == hash);
    }
}
