// Metrics: Prometheus text, the CSV files and the HTTP endpoint.
#include "metrics/metric_sample.hpp"
#include "metrics/metrics_service.hpp"
#include "support/eventually.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

std::string http_get(uint16_t port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return "";
    }
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    (void)::write(fd, req.data(), req.size());
    std::string out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("Prometheus names and text", "[refhost][metrics]") {
    CHECK(prometheus_name("neo4j.database.foo-replica.transaction.last_committed_tx_id", CCDR_METRIC_COUNTER) ==
          "neo4j_database_foo_replica_transaction_last_committed_tx_id_total");
    CHECK(prometheus_name("neo4j.database.a.b", CCDR_METRIC_GAUGE) == "neo4j_database_a_b");
    std::string text = prometheus_text({{"s1", "neo4j.database.neo4j.transaction.last_committed_tx_id",
                                         CCDR_METRIC_COUNTER, 3},
                                        {"s2", "neo4j.database.neo4j.transaction.last_committed_tx_id",
                                         CCDR_METRIC_COUNTER, 3},
                                        {"s1", "neo4j.x.lag", CCDR_METRIC_GAUGE, 0.25}});
    CHECK(text ==
          "# TYPE neo4j_database_neo4j_transaction_last_committed_tx_id_total counter\n"
          "neo4j_database_neo4j_transaction_last_committed_tx_id_total{server=\"s1\"} 3.0\n"
          "neo4j_database_neo4j_transaction_last_committed_tx_id_total{server=\"s2\"} 3.0\n"
          "# TYPE neo4j_x_lag gauge\n"
          "neo4j_x_lag{server=\"s1\"} 0.25\n");
    CHECK(csv_value(42) == "42");
    CHECK(csv_value(0.5) == "0.5");
}

TEST_CASE("CSV files per server and the Prometheus endpoint", "[refhost][metrics]") {
    uint16_t port = refhost::test::free_port();
    TempHome home(2, {"server.metrics.csv.enabled=true", "server.metrics.csv.interval=100ms",
                      "server.metrics.prometheus.enabled=true",
                      "server.metrics.prometheus.endpoint=127.0.0.1:" + std::to_string(port),
                      "server.metrics.prefix=acme"});
    auto rt = home.start();
    Cluster& c = rt->cluster();
    size_t w = c.database("neo4j")->writer()->server();
    {
        auto tx = c.begin(w, "neo4j", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.value()->graph().create_node({"N"}, {}).ok());
        REQUIRE(tx.value()->commit().ok());
    }
    std::string body = http_get(port, "/metrics");
    CHECK(body.rfind("HTTP/1.1 200 OK", 0) == 0);
    std::string sample = "acme_database_neo4j_transaction_last_committed_tx_id_total{server=\"" + c.server_id(w) +
                         "\"} 1.0";
    CHECK(body.find(sample) != std::string::npos);
    CHECK(body.find("# TYPE acme_database_neo4j_transaction_active gauge") != std::string::npos);
    CHECK(http_get(port, "/other").rfind("HTTP/1.1 404", 0) == 0);

    std::filesystem::path file =
        home.path() / "metrics" / c.server_id(w) / "acme.database.neo4j.transaction.last_committed_tx_id.csv";
    // Written every 100 ms: wait for a row that holds the commit.
    REQUIRE(ccdr::test::eventually(
        [&] { return std::filesystem::exists(file) && slurp(file).find(",1\n") != std::string::npos; },
        std::chrono::seconds(30)));
    rt->stop();
    REQUIRE(std::filesystem::exists(file));
    std::string csv = slurp(file);
    CHECK(csv.rfind("t,count\n", 0) == 0);
    CHECK(csv.find(",1\n") != std::string::npos);
    std::string gauge = slurp(home.path() / "metrics" / c.server_id(w) / "acme.database.neo4j.transaction.active.csv");
    CHECK(gauge.rfind("t,value\n", 0) == 0);
    // Rows are "<epoch seconds>,<value>".
    std::string second_line = csv.substr(8, csv.find('\n', 8) - 8);
    int64_t t = std::stoll(second_line.substr(0, second_line.find(',')));
    CHECK(t > 1'600'000'000);
    CHECK(t < 10'000'000'000);
}

TEST_CASE("metrics can be switched off", "[refhost][metrics]") {
    TempHome home(1, {"server.metrics.enabled=false", "server.metrics.csv.enabled=true"});
    auto rt = home.start();
    rt->stop();
    CHECK_FALSE(std::filesystem::exists(home.path() / "metrics"));
}

TEST_CASE("CSV files rotate at server.metrics.csv.rotation.size", "[refhost][metrics]") {
    TempHome home(1, {"server.metrics.csv.enabled=true", "server.metrics.csv.interval=1h",
                      "server.metrics.csv.rotation.size=40", "server.metrics.csv.rotation.keep_number=2"});
    auto rt = home.start();
    for (int i = 0; i < 12; ++i) {
        rt->metrics()->write_csv();
    }
    std::filesystem::path base = home.path() / "metrics" / "neo4j.database.neo4j.transaction.committed.csv";
    CHECK(std::filesystem::exists(base));
    CHECK(std::filesystem::exists(base.string() + ".1"));
    CHECK(std::filesystem::exists(base.string() + ".2"));
    CHECK_FALSE(std::filesystem::exists(base.string() + ".3"));
    CHECK(slurp(base.string() + ".1").rfind("t,count\n", 0) == 0);
}
