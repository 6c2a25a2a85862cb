// plugin/logging/host_log_sink.hpp: spdlog inside the plugin, lines out
// through the host's log() so they land in the host's logs/debug.log.
#pragma once

#include <ccdr/host_handle.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace ccdr::plugin {

class HostLogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit HostLogSink(HostHandle host) : host_(host) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        ccdr_log_level level = CCDR_LOG_INFO;
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug: level = CCDR_LOG_DEBUG; break;
            case spdlog::level::info: level = CCDR_LOG_INFO; break;
            case spdlog::level::warn: level = CCDR_LOG_WARN; break;
            default: level = CCDR_LOG_ERROR; break;
        }
        // The host adds time, level and thread; the plugin adds its name.
        std::string line = "[ccdr] ";
        line.append(msg.payload.data(), msg.payload.size());
        host_.log(level, line);
    }
    void flush_() override {}

private:
    HostHandle host_;
};

// A logger for one plugin instance (not registered globally: several
// instances live in one process, each logging through its own host context).
inline std::shared_ptr<spdlog::logger> make_host_logger(const HostHandle& host, const std::string& server_id) {
    auto logger = std::make_shared<spdlog::logger>("ccdr@" + server_id, std::make_shared<HostLogSink>(host));
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::warn);
    return logger;
}

}  // namespace ccdr::plugin
