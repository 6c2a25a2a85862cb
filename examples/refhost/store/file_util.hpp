// examples/refhost/store/file_util.hpp: the few file operations durability
// needs (fsync of files and directories, write-then-rename) and random ids.
#pragma once

#include <ccdr/status.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace refhost {

// The file's content (at most `max_bytes`), or nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::filesystem::path& p, size_t max_bytes = 1 << 20);
// fsync of a file or a directory.
ccdr::Status fsync_path(const std::filesystem::path& p);
// Writes `content` to p.tmp, fsyncs it, renames it over p, fsyncs the directory.
ccdr::Status write_file_atomically(const std::filesystem::path& p, const std::string& content);
// `bytes` random bytes (OpenSSL's CSPRNG) as lower-case hex.
std::string random_hex(size_t bytes);
// A random (version 4) UUID.
std::string random_uuid();

}  // namespace refhost
