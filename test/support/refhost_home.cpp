#include "support/refhost_home.hpp"

#include "logging/debug_log.hpp"
#include "support/free_port.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace refhost::test {

uint16_t free_port() { return ccdr::test::free_port(); }

TempHome::TempHome(size_t servers, std::vector<std::string> extra) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "refhost-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
    std::filesystem::create_directories(path_ / "conf");
    std::filesystem::create_directories(path_ / "plugins");
    std::vector<std::string> lines;
    bool csv_given = false;
    for (const auto& l : extra) {
        csv_given = csv_given || l.rfind("server.metrics.csv.enabled", 0) == 0;
    }
    if (!csv_given) {
        lines.push_back("server.metrics.csv.enabled=false");
    }
    for (size_t i = 0; i < servers; ++i) {
        std::string bolt = "127.0.0.1:" + std::to_string(free_port());
        std::string cluster = "127.0.0.1:" + std::to_string(free_port());
        bolt_.push_back(bolt);
        if (servers == 1) {
            lines.push_back("server.bolt.listen_address=" + bolt);
            lines.push_back("server.cluster.listen_address=" + cluster);
        } else {
            std::string p = "refhost.server." + std::to_string(i + 1) + ".";
            lines.push_back(p + "bolt.listen_address=" + bolt);
            lines.push_back(p + "cluster.listen_address=" + cluster);
        }
    }
    lines.insert(lines.end(), extra.begin(), extra.end());
    write_conf(lines);
}

TempHome::~TempHome() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void TempHome::write_conf(const std::vector<std::string>& lines) const {
    const_cast<TempHome*>(this)->lines_ = lines;
    std::ofstream out(path_ / "conf" / "neo4j.conf");
    for (const auto& l : lines) {
        out << l << "\n";
    }
}

void TempHome::add_plugin(const std::string& so_path) const {
    std::filesystem::copy_file(so_path, path_ / "plugins" / std::filesystem::path(so_path).filename(),
                               std::filesystem::copy_options::overwrite_existing);
}

std::unique_ptr<Cluster> TempHome::open_cluster() const {
    auto config = Config::load(path_, {});
    if (!config) {
        throw std::runtime_error(config.status().message());
    }
    auto log = DebugLog::open(config->logs_dir());
    if (!log) {
        throw std::runtime_error(log.status().message());
    }
    auto cluster = Cluster::open(std::move(config.value()), log->logger("refhost"));
    if (!cluster) {
        throw std::runtime_error(cluster.status().message());
    }
    return std::move(cluster.value());
}

std::unique_ptr<Runtime> TempHome::start() const {
    auto rt = Runtime::start(path_, {});
    if (!rt) {
        throw std::runtime_error(rt.status().message());
    }
    return std::move(rt.value());
}

AuthUser admin() { return AuthUser{"neo4j", {"admin", "PUBLIC"}}; }

}  // namespace refhost::test
