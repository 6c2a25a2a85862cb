// examples/refhost/logging/debug_log.hpp: logs/debug.log, as Neo4j writes
// it: "<date> <time>.<ms><zone> <LEVEL> [<source>] <message>". The host logs
// as [refhost]; each plugin instance as [<plugin>/<server>]. Every line is
// flushed to the file as it is written (no fsync), so a crash loses none.
#pragma once

#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <filesystem>
#include <memory>
#include <string>

namespace refhost {

class DebugLog {
public:
    static ccdr::Result<DebugLog> open(const std::filesystem::path& logs_dir);
    // A logger named `source` writing to debug.log.
    std::shared_ptr<spdlog::logger> logger(const std::string& source) const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    spdlog::sink_ptr sink_;
};

}  // namespace refhost
