// test/support/capturing_log.hpp: an spdlog logger whose lines a test can
// inspect (and wait for, since servers log from their own threads).
#pragma once

#include "support/eventually.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ccdr::test {

class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines() const {
        std::lock_guard lock(lines_mu_);
        return lines_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string line = std::string(spdlog::level::to_string_view(msg.level).data()) + " " +
                           std::string(msg.payload.data(), msg.payload.size());
        std::lock_guard lock(lines_mu_);
        lines_.push_back(std::move(line));
    }
    void flush_() override {}

private:
    mutable std::mutex lines_mu_;
    std::vector<std::string> lines_;
};

class CapturingLog {
public:
    CapturingLog() : sink_(std::make_shared<CapturingSink>()), logger_(std::make_shared<spdlog::logger>("test", sink_)) {
        logger_->set_level(spdlog::level::debug);
    }
    std::shared_ptr<spdlog::logger> logger() const { return logger_; }
    std::vector<std::string> lines() const { return sink_->lines(); }

    // The first line containing every needle, waiting up to `timeout`; "" if none.
    std::string wait_for(const std::vector<std::string>& needles,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::string found;
        eventually(
            [&] {
                for (const auto& line : lines()) {
                    bool all = true;
                    for (const auto& n : needles) {
                        all = all && line.find(n) != std::string::npos;
                    }
                    if (all) {
                        found = line;
                        return true;
                    }
                }
                return false;
            },
            timeout);
        return found;
    }

private:
    std::shared_ptr<CapturingSink> sink_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ccdr::test
