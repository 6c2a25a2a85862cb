// MemberStore's content fingerprint (member_store.hpp): SHA-256 over the
// graph in id order, with the tx it covers. (The running fingerprint, O(1)
// per check, is member_running_fingerprint.cpp.)
#include "store/member_store.hpp"

#include <openssl/evp.h>

#include <string_view>
#include <vector>

namespace refhost {

ccdr::Result<std::string> MemberStore::content_hash() {
    auto f = content_fingerprint();
    if (!f) {
        return f.status();
    }
    return f->sha256_hex;
}

ccdr::Result<MemberStore::ContentFingerprint> MemberStore::content_fingerprint() {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_read();
    if (!st) {
        return st;
    }
    // The state row first: in WAL mode the read snapshot is fixed by the
    // first read, so the digest below covers exactly state.last_tx.
    StoreState state;
    st = c.read_state(state);
    if (!st) {
        return st;
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    auto put = [&](const void* p, size_t n) { EVP_DigestUpdate(md, p, n); };
    auto put_i = [&](int64_t v) { put(&v, sizeof v); };
    auto put_s = [&](std::string_view s) {
        put_i(static_cast<int64_t>(s.size()));
        put(s.data(), s.size());
    };
    std::vector<StoreConnection::NodeRow> nodes;
    std::vector<std::string> labels;
    int64_t after = -1;
    do {
        st = c.node_page("", after, 1000, nodes);
        for (size_t i = 0; st && i < nodes.size(); ++i) {
            put("N", 1);
            put_i(nodes[i].id);
            st = c.node_labels(nodes[i].id, labels);
            put_i(static_cast<int64_t>(labels.size()));
            for (const auto& l : labels) {
                put_s(l);
            }
            put_i(static_cast<int64_t>(nodes[i].props.size()));
            put(nodes[i].props.data(), nodes[i].props.size());
            after = nodes[i].id;
        }
    } while (st && !nodes.empty());
    std::vector<StoreConnection::RelRow> rels;
    after = -1;
    do {
        if (st) {
            st = c.relationship_page("", after, 1000, rels);
        }
        for (size_t i = 0; st && i < rels.size(); ++i) {
            put("R", 1);
            put_i(rels[i].id);
            put_s(rels[i].type);
            put_i(rels[i].src);
            put_i(rels[i].dst);
            put_i(static_cast<int64_t>(rels[i].props.size()));
            put(rels[i].props.data(), rels[i].props.size());
            after = rels[i].id;
        }
    } while (st && !rels.empty());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    if (!st) {
        return st;
    }
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return ContentFingerprint{state.last_tx, hex};
}

}  // namespace refhost
