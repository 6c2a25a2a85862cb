#include "logging/debug_log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

namespace refhost {

namespace {

// Neo4j's level names, upper case and padded: "INFO ", "WARN ", "ERROR".
class NeoLevel final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr std::string_view kNames[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "ERROR", "OFF  "};
        std::string_view n = kNames[static_cast<size_t>(msg.level)];
        dest.append(n.data(), n.data() + n.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<NeoLevel>(); }
};

}  // namespace

ccdr::Result<DebugLog> DebugLog::open(const std::filesystem::path& logs_dir) {
    std::error_code ec;
    std::filesystem::create_directories(logs_dir, ec);
    DebugLog log;
    log.path_ = logs_dir / "debug.log";
    try {
        log.sink_ = std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.path_.string(), false);
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<NeoLevel>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e%z %* [%n] %v");
        log.sink_->set_formatter(std::move(formatter));
    } catch (const std::exception& e) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot open " + log.path_.string() + ": " + e.what());
    }
    return log;
}

std::shared_ptr<spdlog::logger> DebugLog::logger(const std::string& source) const {
    auto l = std::make_shared<spdlog::logger>(source, sink_);
    l->set_level(spdlog::level::debug);
    l->flush_on(spdlog::level::debug);
    return l;
}

}  // namespace refhost
