#include "procedures/lost_transactions_file.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <unistd.h>

namespace ccdr::plugin {
namespace {

std::string iso_utc(int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

std::string base64(const uint8_t* data, size_t length) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((length + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < length; i += 3) {
        const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < length) {
        uint32_t n = uint32_t{data[i]} << 16;
        if (i + 1 < length) {
            n |= uint32_t{data[i + 1]} << 8;
        }
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < length ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace

std::string iso_utc_ms(int64_t ms) { return iso_utc(ms); }

LostTransactionsFile::LostTransactionsFile(std::filesystem::path data_directory, std::string database)
    : directory_(std::move(data_directory) / "lost-transactions"), database_(std::move(database)) {}

LostTransactionsFile::~LostTransactionsFile() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

Status LostTransactionsFile::open_file() {
    if (file_ != nullptr) {
        return {};
    }
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "cannot create " + directory_.string() + ": " + ec.message()};
    }
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    path_ = directory_ / (database_ + "-" + std::to_string(now) + ".jsonl");
    file_ = std::fopen(path_.c_str(), "wx");
    if (file_ == nullptr) {
        return {CCDR_IO_ERROR, "cannot create " + path_.string() + ": " + std::strerror(errno)};
    }
    // The file's name must survive a crash too, not only its lines.
    const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir < 0 || ::fsync(dir) != 0) {
        const std::string why = std::strerror(errno);
        if (dir >= 0) {
            ::close(dir);
        }
        return {CCDR_IO_ERROR, "cannot sync " + directory_.string() + ": " + why};
    }
    ::close(dir);
    return {};
}

Status LostTransactionsFile::write_line(const std::string& line) {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0 ||
        ::fsync(fileno(file_)) != 0) {
        return {CCDR_IO_ERROR, "cannot write " + path_.string() + ": " + std::strerror(errno)};
    }
    ++count_;
    return {};
}

Status LostTransactionsFile::add(uint64_t tx_id, int64_t commit_time_ms, const std::string& changes_json) {
    if (Status opened = open_file(); !opened) {
        return opened;
    }
    return write_line("{\"txId\":" + std::to_string(tx_id) + ",\"commitTimeMs\":" + std::to_string(commit_time_ms) +
                      ",\"commitTime\":\"" + iso_utc(commit_time_ms) + "\",\"changes\":" +
                      (changes_json.empty() ? std::string("null") : changes_json) + "}\n");
}

Status LostTransactionsFile::add_received(uint64_t tx_id, int64_t commit_time_ms, const uint8_t* payload,
                                          size_t length) {
    if (Status opened = open_file(); !opened) {
        return opened;
    }
    return write_line("{\"txId\":" + std::to_string(tx_id) + ",\"commitTimeMs\":" + std::to_string(commit_time_ms) +
                      ",\"commitTime\":\"" + iso_utc(commit_time_ms) + "\",\"payloadBase64\":\"" +
                      base64(payload, length) + "\"}\n");
}

}  // namespace ccdr::plugin
