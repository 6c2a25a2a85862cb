#include "store/file_util.hpp"

#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace refhost {

std::optional<std::string> read_small_file(const std::filesystem::path& p, size_t max_bytes) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string out(max_bytes, '\0');
    in.read(out.data(), static_cast<std::streamsize>(max_bytes));
    out.resize(static_cast<size_t>(in.gcount()));
    return out;
}

ccdr::Status fsync_path(const std::filesystem::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {CCDR_IO_ERROR, "cannot open " + p.string() + " to sync it: " + std::strerror(errno)};
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        return {CCDR_IO_ERROR, "fsync of " + p.string() + " failed: " + std::strerror(err)};
    }
    return {};
}

ccdr::Status write_file_atomically(const std::filesystem::path& p, const std::string& content) {
    std::filesystem::path tmp = p;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return {CCDR_IO_ERROR, "cannot create " + tmp.string() + ": " + std::strerror(errno)};
    }
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return {CCDR_IO_ERROR, "cannot write " + tmp.string() + ": " + std::strerror(err)};
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        return {CCDR_IO_ERROR, "fsync of " + tmp.string() + " failed: " + std::strerror(err)};
    }
    ::close(fd);
    if (::rename(tmp.c_str(), p.c_str()) != 0) {
        return {CCDR_IO_ERROR, "cannot rename " + tmp.string() + ": " + std::strerror(errno)};
    }
    return fsync_path(p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path());
}

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> b(bytes);
    RAND_bytes(b.data(), static_cast<int>(b.size()));
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::string random_uuid() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[b[i] >> 4];
        out += kHex[b[i] & 15];
    }
    return out;
}

}  // namespace refhost
