// plugin/upstream/log_tx_reader.hpp: one logged transaction's payload read
// from the host in pieces (ABI 1.2 log_tx_open / log_tx_read / log_tx_close),
// so that the upstream of a transaction larger than a batch holds one piece
// of it at a time instead of the whole payload (Batcher's TX_PART frames).
// Closes the host's handle when destroyed. One thread at a time.
#pragma once

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ccdr::plugin {

class LogTxReader {
public:
    // Opens tx_id of `database`; CCDR_CORRUPT when the host's length is not
    // the one its log visit announced (`expected_length`).
    static Result<std::unique_ptr<LogTxReader>> open(HostHandle host, std::string_view database, uint64_t tx_id,
                                                     uint64_t expected_length) {
        auto opened = host.log_tx_open(database, tx_id);
        if (!opened) {
            return opened.status();
        }
        std::unique_ptr<LogTxReader> reader(new LogTxReader(host, opened->tx, opened->length));
        if (opened->length != expected_length) {
            return Status(CCDR_CORRUPT, "tx " + std::to_string(tx_id) + " of '" + std::string(database) + "': the log " +
                                            "announced " + std::to_string(expected_length) + " bytes, reading it " +
                                            "gives " + std::to_string(opened->length));
        }
        return reader;
    }
    ~LogTxReader() { host_.log_tx_close(tx_); }
    LogTxReader(const LogTxReader&) = delete;
    LogTxReader& operator=(const LogTxReader&) = delete;

    uint64_t length() const { return length_; }
    uint64_t read_so_far() const { return read_; }
    // Exactly into.size() next bytes (the caller asks no more than are
    // left). The piece with the last byte was checked by the host against
    // what it stored with the transaction.
    Status read_exact(std::span<uint8_t> into) {
        size_t done = 0;
        while (done < into.size()) {
            auto got = host_.log_tx_read(tx_, into.subspan(done));
            if (!got) {
                return got.status();
            }
            if (*got == 0) {
                return Status(CCDR_CORRUPT, "the host's log ended " + std::to_string(length_ - read_ - done) +
                                                " bytes before the transaction it announced");
            }
            done += *got;
        }
        read_ += done;
        return {};
    }

private:
    LogTxReader(HostHandle host, ccdr_log_tx* tx, uint64_t length) : host_(host), tx_(tx), length_(length) {}

    HostHandle host_;
    ccdr_log_tx* tx_;
    uint64_t length_;
    uint64_t read_ = 0;
};

}  // namespace ccdr::plugin
