// internal.dbms.saveTransactionsAfter (procedures/save_transactions_procedure.hpp):
// what the old primary holds past a promotion point is listed and written to
// a file before anything drops it; nothing after the point gives no row and
// no file; refused calls say why and write nothing. The refhost path (A
// killed with a transaction B never got) runs in e2e.docs (docs/operations.md
// §6.2).
#include "procedures/save_transactions_procedure.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>
#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using ccdr::HostHandle;
using ccdr::Value;
using ccdr::ValueList;
using ccdr::plugin::SaveTransactionsProcedure;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

struct Fixture {
    MemoryHost host{"s1", {}};
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("save_tx_test." + std::to_string(::getpid()));
    SaveTransactionsProcedure p{HostHandle(ccdr::host_api(), host.ctx()), dir, nullptr};

    Fixture() {
        ccdr::DatabaseSpec spec;
        spec.name = "foo";
        spec.kind = CCDR_KIND_STANDARD;
        REQUIRE(host.create_database(spec).is_ok());
        for (uint8_t i = 1; i <= 5; ++i) {
            REQUIRE(host.commit("foo", {i, static_cast<uint8_t>(i * 2)}).is_ok());
        }
    }
    ~Fixture() { std::filesystem::remove_all(dir); }

    size_t files() const {
        std::error_code ec;
        size_t n = 0;
        for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir / "lost-transactions", ec)) {
            ++n;
        }
        return n;
    }
};

std::string failure(SaveTransactionsProcedure& p, ValueList args) {
    auto r = p.call(args);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    return r.status().message();
}

}  // namespace

TEST_CASE("saveTransactionsAfter lists and saves every transaction after the point", "[save-transactions]") {
    Fixture f;
    auto r = f.p.call({Value("foo"), Value(int64_t{2})});
    REQUIRE(r.is_ok());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].tx_id == 3);
    CHECK((*r)[2].tx_id == 5);
    CHECK((*r)[0].bytes == 2);
    const std::string file = (*r)[0].file;
    CHECK(file == (*r)[2].file);
    CHECK_THAT(file, Contains("lost-transactions/foo-"));
    std::ifstream in(file);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    REQUIRE(lines.size() == 3);
    CHECK_THAT(lines[0], Contains("\"txId\":3"));
    CHECK_THAT(lines[0], Contains("\"payloadBase64\":\"AwY=\""));  // bytes 3, 6
    CHECK_THAT(lines[2], Contains("\"txId\":5"));
}

TEST_CASE("saveTransactionsAfter at or past the last transaction: no row, no file", "[save-transactions]") {
    Fixture f;
    for (int64_t at : {5, 9}) {
        auto r = f.p.call({Value("foo"), Value(at)});
        REQUIRE(r.is_ok());
        CHECK(r->empty());
    }
    CHECK(f.files() == 0);
}

TEST_CASE("saveTransactionsAfter refuses bad calls with the reason and writes nothing", "[save-transactions]") {
    Fixture f;
    CHECK_THAT(failure(f.p, {Value("foo")}), Contains("expected 2 arguments"));
    CHECK_THAT(failure(f.p, {Value("foo"), Value(int64_t{-1})}), Contains("afterTx must be an INTEGER of at least 0"));
    CHECK_THAT(failure(f.p, {Value("foo"), Value("3")}), Contains("afterTx must be an INTEGER"));
    CHECK_THAT(failure(f.p, {Value("nosuch"), Value(int64_t{1})}), Contains("cannot read the log of 'nosuch'"));
    f.host.prune_log("foo", 4);
    CHECK_THAT(failure(f.p, {Value("foo"), Value(int64_t{1})}),
               Contains("starts at tx 4: transactions 2 to 3 are no longer kept, nothing was saved"));
    CHECK(f.files() == 0);
    // From the first kept transaction on it works again.
    auto r = f.p.call({Value("foo"), Value(int64_t{3})});
    REQUIRE(r.is_ok());
    CHECK(r->size() == 2);
}
