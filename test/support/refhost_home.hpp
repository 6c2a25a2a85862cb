// test/support/refhost_home.hpp: refhost HOMEs for tests: a temporary
// directory with conf/neo4j.conf and plugins/, free loopback ports, and a
// cluster opened on it in-process.
#pragma once

#include "app/runtime.hpp"
#include "dbms/cluster.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace refhost::test {

// A free TCP port on 127.0.0.1 (bound to port 0, then released), never the
// same twice in one process.
uint16_t free_port();

class TempHome {
public:
    // `servers` logical servers on free loopback ports (refhost.server.N.*
    // when more than one), plus `extra` lines; metrics CSV off unless
    // `extra` turns it on.
    explicit TempHome(size_t servers = 1, std::vector<std::string> extra = {});
    ~TempHome();
    TempHome(const TempHome&) = delete;
    TempHome& operator=(const TempHome&) = delete;

    const std::filesystem::path& path() const { return path_; }
    void write_conf(const std::vector<std::string>& lines) const;
    std::vector<std::string> conf_lines() const { return lines_; }
    void add_plugin(const std::string& so_path) const;
    std::string bolt(size_t server) const { return bolt_[server]; }

    // The cluster of this HOME, in-process, without plugins.
    std::unique_ptr<Cluster> open_cluster() const;
    // The full runtime (plugins, metrics).
    std::unique_ptr<Runtime> start() const;

private:
    std::filesystem::path path_;
    std::vector<std::string> lines_;
    std::vector<std::string> bolt_;
};

// A user with the admin role.
AuthUser admin();

}  // namespace refhost::test
