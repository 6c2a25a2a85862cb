#include "store/durable_tail.hpp"

#include <cstring>

namespace refhost {

void DurableTail::add(uint64_t tx_id, int64_t commit_time_ms, std::span<const uint8_t> payload) {
    std::lock_guard lock(mu_);
    if (incomplete_ || payload.size() > kMaxTxBytes || bytes_.size() + payload.size() > kMaxBytes) {
        // Not kept: this sync reports its last id alone, and keeping any
        // later transaction of it would not help (the handover must be whole).
        incomplete_ = true;
        return;
    }
    const size_t offset = bytes_.size();
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    kept_.push_back({tx_id, commit_time_ms, offset, payload.size()});
}

void DurableTail::skip() {
    std::lock_guard lock(mu_);
    incomplete_ = true;
}

bool DurableTail::deliver(uint64_t last_tx, const Handover& handover) {
    taken_.clear();
    taken_bytes_.clear();
    bool whole = false;
    {
        std::lock_guard lock(mu_);
        // What was committed after the sync started stays for the next one.
        size_t upto = 0;
        while (upto < kept_.size() && kept_[upto].tx_id <= last_tx) {
            ++upto;
        }
        whole = !incomplete_ && upto > 0 && kept_[upto - 1].tx_id == last_tx;
        for (size_t i = 1; whole && i < upto; ++i) {
            whole = kept_[i].tx_id == kept_[i - 1].tx_id + 1;
        }
        if (upto == kept_.size()) {
            // The usual case: the sync covers everything kept. The buffers
            // change hands, no byte is copied again on the commit path.
            if (whole) {
                kept_.swap(taken_);
                bytes_.swap(taken_bytes_);
            }
            kept_.clear();
            bytes_.clear();
        } else {
            // A later commit's copy stays for the next sync.
            const size_t cut = kept_[upto].offset;
            if (whole) {
                taken_.assign(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(upto));
                taken_bytes_.assign(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(cut));
            }
            kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(upto));
            bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(cut));
            for (auto& k : kept_) {
                k.offset -= cut;
            }
        }
        // Keeping starts again. A transaction skipped after this sync began
        // leaves a gap at the front of the next handover, which the plugin
        // sees (its ids do not continue what it has) and reads from the log.
        incomplete_ = false;
    }
    if (!whole) {
        return false;
    }
    txs_.clear();
    for (const auto& k : taken_) {
        txs_.push_back(ccdr_tx{k.tx_id, k.commit_time_ms, ccdr_bytes{taken_bytes_.data() + k.offset, k.len}});
    }
    handover(txs_);
    return true;
}

}  // namespace refhost
