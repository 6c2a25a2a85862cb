// Many transactions at once on one member (issue 23): the write lock's
// first-come-first-served queue, waiting for it without a thread
// (reserve_write and the owner's wake), db.lock.acquisition.timeout,
// db.transaction.timeout and a client's tx_timeout, SHOW and TERMINATE
// TRANSACTIONS, and a stop that ends open transactions.
#include "store/write_lock_queue.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

using namespace std::chrono_literals;

// An owner that never blocks in the DBMS, as a Bolt session: it counts the
// wakes the transaction sends it and can wait for the next one.
struct Owner {
    std::mutex mu;
    std::condition_variable cv;
    int wakes = 0;
    TxOptions options() {
        TxOptions o;
        o.connection_id = "bolt-test";
        o.client_address = "127.0.0.1:1";
        // Notified under the lock: a waiter that sees the wake cannot return,
        // end the test and destroy `cv` while the notifying thread (the
        // deadline timer's) is still inside notify_all (TSan saw that race).
        o.wake = [this] {
            std::lock_guard l(mu);
            ++wakes;
            cv.notify_all();
        };
        return o;
    }
    // Waits for more than `seen` wakes; false after 10 s.
    bool woken_after(int seen) {
        std::unique_lock l(mu);
        return cv.wait_for(l, 10s, [&] { return wakes > seen; });
    }
    int count() {
        std::lock_guard l(mu);
        return wakes;
    }
};

std::unique_ptr<Transaction> begin_write(Cluster& c, const TxOptions& o = {}, const AuthUser& user = admin()) {
    auto tx = c.begin(0, "neo4j", AccessMode::Write, user, {}, 2000ms, o);
    if (!tx) {
        FAIL(tx.error().code << ": " << tx.error().message);
    }
    return std::move(tx.value());
}

AuthUser reader(const std::string& name) { return AuthUser{name, {"reader", "PUBLIC"}}; }

}  // namespace

TEST_CASE("the write lock queue hands the lock over in arrival order", "[refhost][lock]") {
    WriteLockQueue q;
    std::vector<int> order;
    REQUIRE(q.acquire_or_enqueue([](WriteLockQueue::Grant) {}).state == WriteLockQueue::Request::State::Granted);
    auto queue = [&](int who) {
        return q.acquire_or_enqueue([&order, who](WriteLockQueue::Grant g) {
            if (g == WriteLockQueue::Grant::Granted) {
                order.push_back(who);
            }
        });
    };
    auto a = queue(1);
    auto b = queue(2);
    auto c = queue(3);
    REQUIRE(a.state == WriteLockQueue::Request::State::Queued);
    REQUIRE(c.state == WriteLockQueue::Request::State::Queued);
    CHECK(q.waiting() == 3);
    CHECK_FALSE(q.try_acquire());  // free or not, a newcomer does not overtake the queue
    CHECK(q.cancel(b.ticket, WriteLockQueue::Grant::Cancelled));
    CHECK_FALSE(q.cancel(b.ticket, WriteLockQueue::Grant::Cancelled));
    q.release();  // to 1
    q.release();  // to 3
    CHECK(order == std::vector<int>{1, 3});
    CHECK(q.held());
    CHECK(q.acquire_blocking(50ms) == WriteLockQueue::Grant::TimedOut);
    CHECK(q.waiting() == 0);  // the timed-out waiter left the queue
    std::thread releaser([&] {
        std::this_thread::sleep_for(50ms);
        q.release();
    });
    CHECK(q.acquire_blocking(10s) == WriteLockQueue::Grant::Granted);
    releaser.join();
    auto d = queue(4);
    q.retire();  // the waiter hears Retired, later requests too
    CHECK(order == std::vector<int>{1, 3});
    CHECK(q.acquire_or_enqueue([](WriteLockQueue::Grant) {}).state == WriteLockQueue::Request::State::Retired);
    CHECK(q.acquire_blocking(10ms) == WriteLockQueue::Grant::Retired);
    (void)d;
}

TEST_CASE("a transaction waits for the write lock without a thread and is woken when it is granted",
          "[refhost][lock]") {
    TempHome home;
    auto c = home.open_cluster();
    Owner first_owner, second_owner;
    auto first = begin_write(*c, first_owner.options());
    REQUIRE(first->reserve_write().value() == Transaction::Reservation::Ready);
    REQUIRE(first->graph().create_node({"First"}, {}).ok());
    CHECK(first->holds_write_lock());

    auto second = begin_write(*c, second_owner.options());
    auto r = second->reserve_write();
    REQUIRE(r.ok());
    CHECK(r.value() == Transaction::Reservation::Waiting);
    CHECK_FALSE(second->holds_write_lock());
    int seen = second_owner.count();
    REQUIRE(first->commit().ok());
    REQUIRE(second_owner.woken_after(seen));
    REQUIRE(second->reserve_write().value() == Transaction::Reservation::Ready);
    CHECK(second->holds_write_lock());
    REQUIRE(second->graph().create_node({"Second"}, {}).ok());
    REQUIRE(second->commit().ok());

    SECTION("a write that did not reserve the lock does not wait for it") {
        Owner o1, o2;
        auto holder = begin_write(*c, o1.options());
        REQUIRE(holder->graph().create_node({"Holder"}, {}).ok());  // free: taken at once
        auto other = begin_write(*c, o2.options());
        auto n = other->graph().create_node({"Other"}, {});
        REQUIRE_FALSE(n.ok());
        CHECK(n.error().code == status::kLockAcquisitionTimeout.neo4j);
    }
    SECTION("an owner without a waker blocks until the holder commits") {
        Owner o1;
        auto holder = begin_write(*c, o1.options());
        REQUIRE(holder->graph().create_node({"Holder"}, {}).ok());
        std::atomic<bool> holder_committed{false};
        std::thread committer([&] {
            std::this_thread::sleep_for(100ms);
            holder_committed = holder->commit().ok();
        });
        auto blocking = begin_write(*c);
        bool wrote = blocking->graph().create_node({"Blocking"}, {}).ok();
        committer.join();
        CHECK(wrote);
        CHECK(holder_committed.load());
        CHECK(blocking->commit().ok());
    }
}

TEST_CASE("db.lock.acquisition.timeout ends a wait with LockAcquisitionTimeout", "[refhost][lock]") {
    TempHome home(1, {"db.lock.acquisition.timeout=200ms"});
    auto c = home.open_cluster();
    Owner o1, o2;
    auto holder = begin_write(*c, o1.options());
    REQUIRE(holder->graph().create_node({"Holder"}, {}).ok());
    auto waiter = begin_write(*c, o2.options());
    int seen = o2.count();
    REQUIRE(waiter->reserve_write().value() == Transaction::Reservation::Waiting);
    REQUIRE(o2.woken_after(seen));
    auto r = waiter->reserve_write();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "Neo.TransientError.Transaction.LockAcquisitionTimeout");
    CHECK(r.error().gql_status == "25N16");
    CHECK(r.error().message.find("db.lock.acquisition.timeout") != std::string::npos);
    // The holder was not disturbed.
    CHECK(holder->commit().ok());
}

TEST_CASE("db.transaction.timeout terminates an idle writer, its owner rolls back and the next writer goes on",
          "[refhost][timeout]") {
    TempHome home(1, {"db.transaction.timeout=300ms"});
    auto c = home.open_cluster();
    Owner idle_owner, next_owner;
    auto idle = begin_write(*c, idle_owner.options());
    REQUIRE(idle->graph().create_node({"Idle"}, {}).ok());
    auto next_options = next_owner.options();
    next_options.timeout = 0ms;  // this one must outlive the idle one's timeout
    auto next = begin_write(*c, next_options);
    int next_seen = next_owner.count();
    REQUIRE(next->reserve_write().value() == Transaction::Reservation::Waiting);

    int idle_seen = idle_owner.count();
    REQUIRE(idle_owner.woken_after(idle_seen));  // the timeout wakes the idle transaction's owner
    auto why = idle->termination();
    REQUIRE(why);
    CHECK(why->code == "Neo.ClientError.Transaction.TransactionTimedOut");
    CHECK(why->gql_status == "25N14");
    CHECK(why->message.find("db.transaction.timeout") != std::string::npos);
    idle->rollback();  // what the owner does when woken

    REQUIRE(next_owner.woken_after(next_seen));
    REQUIRE(next->reserve_write().value() == Transaction::Reservation::Ready);
    REQUIRE(next->graph().create_node({"Next"}, {}).ok());
    auto committed = idle->commit();
    REQUIRE_FALSE(committed.ok());
    REQUIRE(next->commit().ok());

    SECTION("a client's tx_timeout overrides the setting, with its own code") {
        Owner o;
        auto opts = o.options();
        opts.timeout = 100ms;
        auto tx = begin_write(*c, opts);
        int seen = o.count();
        REQUIRE(o.woken_after(seen));
        REQUIRE(tx->termination());
        CHECK(tx->termination()->code == "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration");
        auto n = tx->graph().create_node({"Late"}, {});
        REQUIRE_FALSE(n.ok());
        CHECK(n.error().code == "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration");
    }
    SECTION("tx_timeout 0 means no timeout") {
        Owner o;
        auto opts = o.options();
        opts.timeout = 0ms;
        auto tx = begin_write(*c, opts);
        std::this_thread::sleep_for(600ms);  // two of db.transaction.timeout
        CHECK_FALSE(tx->termination());
        CHECK(tx->commit().ok());
    }
}

TEST_CASE("SHOW TRANSACTIONS lists holders and blocked waiters, TERMINATE TRANSACTIONS ends them",
          "[refhost][show]") {
    TempHome home;
    auto c = home.open_cluster();
    Owner o1, o2;
    auto holder = begin_write(*c, o1.options());
    holder->query_started("CREATE (:Holder)", Map{{"x", Value(int64_t{1})}});
    REQUIRE(holder->graph().create_node({"Holder"}, {}).ok());
    auto waiter = begin_write(*c, o2.options(), reader("alice"));
    REQUIRE(waiter->reserve_write().value() == Transaction::Reservation::Waiting);

    auto rows = c->show_transactions(0, {}, admin());
    REQUIRE(rows.size() == 2);
    const auto& h = rows[0].transaction_id == holder->id() ? rows[0] : rows[1];
    const auto& w = rows[0].transaction_id == holder->id() ? rows[1] : rows[0];
    CHECK(h.transaction_id.rfind("neo4j-transaction-", 0) == 0);
    CHECK(h.database == "neo4j");
    CHECK(h.status == "Running");
    CHECK(h.active_lock_count == 1);
    CHECK(h.current_query == std::optional<std::string>("CREATE (:Holder)"));
    CHECK(h.current_query_id.has_value());
    CHECK(h.parameters == Map{{"x", Value(int64_t{1})}});
    CHECK(h.connection_id == "bolt-test");
    CHECK(h.client_address == std::optional<std::string>("127.0.0.1:1"));
    CHECK(h.protocol == "bolt");
    CHECK(w.status == "Blocked by: [" + holder->id() + "]");
    CHECK(w.username == "alice");
    CHECK(w.resource_information.count("lockMode") == 1);
    CHECK(c->show_transactions(0, {waiter->id()}, admin()).size() == 1);
    // A user sees their own transactions only, and only on this server.
    auto own = c->show_transactions(0, {}, reader("alice"));
    REQUIRE(own.size() == 1);
    CHECK(own[0].transaction_id == waiter->id());

    // alice cannot end the admin's transaction: it is not found for her.
    auto refused = c->terminate_transactions(0, {holder->id()}, reader("alice"));
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].message == "Transaction not found.");
    CHECK_FALSE(holder->termination());

    int seen = o1.count();
    auto ended = c->terminate_transactions(0, {holder->id(), "neo4j-transaction-999999"}, admin());
    REQUIRE(ended.size() == 2);
    CHECK(ended[0].message == "Transaction terminated.");
    CHECK(ended[0].username == std::optional<std::string>(admin().name));
    CHECK(ended[1].message == "Transaction not found.");
    CHECK_FALSE(ended[1].username);
    REQUIRE(o1.woken_after(seen));
    REQUIRE(holder->termination());
    CHECK(holder->termination()->code == "Neo.ClientError.Transaction.Terminated");
    auto terminated_rows = c->show_transactions(0, {holder->id()}, admin());
    REQUIRE(terminated_rows.size() == 1);
    CHECK(terminated_rows[0].status == "Terminated with reason: Status.Code[Neo.ClientError.Transaction.Terminated]");
    int waiter_seen = o2.count();
    holder->rollback();  // the owner's answer to the wake: the lock passes on
    REQUIRE(o2.woken_after(waiter_seen));
    CHECK(waiter->reserve_write().value() == Transaction::Reservation::Ready);
    CHECK(c->show_transactions(0, {holder->id()}, admin()).empty());

    SECTION("a terminated waiter leaves the queue at once") {
        Owner o3;
        auto third = begin_write(*c, o3.options());
        REQUIRE(third->reserve_write().value() == Transaction::Reservation::Waiting);
        int third_seen = o3.count();
        c->terminate_transactions(0, {third->id()}, admin());
        REQUIRE(o3.woken_after(third_seen));
        auto r = third->reserve_write();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == "Neo.ClientError.Transaction.Terminated");
    }
}

TEST_CASE("a stop waits db.shutdown_transaction_end_timeout for open transactions, then terminates them",
          "[refhost][stop]") {
    TempHome home(1, {"db.shutdown_transaction_end_timeout=300ms"});  // tests, not timings: a short bound
    auto c = home.open_cluster();
    SECTION("STOP DATABASE") {
        REQUIRE(c->create_database("other", false, std::nullopt, true).ok());
        Owner o;
        auto tx = c->begin(0, "other", AccessMode::Write, admin(), {}, 2000ms, o.options());
        REQUIRE(tx.ok());
        REQUIRE(tx.value()->graph().create_node({"Open"}, {}).ok());
        REQUIRE(c->stop_database("other", true).ok());
        auto why = tx.value()->termination();
        REQUIRE(why);
        CHECK(why->code == "Neo.TransientError.General.DatabaseUnavailable");
        CHECK_FALSE(tx.value()->commit().ok());
        auto after = c->begin(0, "other", AccessMode::Read, admin(), {}, 2000ms);
        REQUIRE_FALSE(after.ok());
        CHECK(after.error().code == "Neo.TransientError.General.DatabaseUnavailable");
    }
    SECTION("the server's stop refuses new transactions and ends the open ones") {
        Owner o;
        auto open = begin_write(*c, o.options());
        REQUIRE(open->graph().create_node({"Open"}, {}).ok());
        CHECK(c->end_transactions() == 1);
        REQUIRE(open->termination());
        CHECK(open->termination()->code == "Neo.TransientError.General.DatabaseUnavailable");
        auto refused = c->begin(0, "neo4j", AccessMode::Read, admin(), {}, 2000ms);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == "Neo.TransientError.General.DatabaseUnavailable");
    }
    SECTION("transactions that finish in time are not terminated") {
        auto tx = begin_write(*c);
        REQUIRE(tx->graph().create_node({"Finishing"}, {}).ok());
        std::atomic<bool> committed{false};
        std::thread committer([&] {
            std::this_thread::sleep_for(50ms);
            committed = tx->commit().ok();
        });
        CHECK(c->end_transactions() == 0);
        committer.join();
        CHECK(committed.load());
    }
}
