// A streaming replica whose upstream database is dropped and re-created
// (same name, another store id) while the stream is open: the DROPPED event
// ends the stream before anything of the new database is read, the replica
// subscribes again and is refused as another lineage, and the member fails
// naming both store ids, having applied nothing of the new lineage even
// though the new database's tx ids run past the replica's.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

TEST_CASE("a database re-created under a live stream is another lineage: refused mid-stream", "[faults][lineage]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 50, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 50, 60'000));
    const std::string old_store = w.upstream->member("foo")->store_id;
    const auto replica_before = w.replica->member("foo-replica")->content;

    REQUIRE(w.upstream->drop_database("foo"));
    REQUIRE(w.upstream->create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    const std::string new_store = w.upstream->member("foo")->store_id;
    REQUIRE(new_store != old_store);
    for (uint64_t i = 1; i <= 80; ++i) {  // past the replica's tx 50, committed while the stream is open
        REQUIRE(w.upstream->commit("foo", payload_for(1'000 + i, 100)));
    }
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
    CHECK_THAT(std::string(w.replica_status().message),
               Catch::Contains("lineage mismatch") && Catch::Contains(old_store) && Catch::Contains(new_store));
    auto replica_after = w.replica->member("foo-replica");
    CHECK(replica_after->last_tx == 50);
    CHECK(replica_after->content.size() == replica_before.size());
    CHECK(w.upstream->log_contains("was stopped, dropped or promoted on server upstream"));
}
