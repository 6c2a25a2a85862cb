// examples/refhost/store/member_generations.hpp: the files of a member
// directory (member_store.hpp): CURRENT names the live graph-<generation>.db;
// a snapshot import or a log replay builds the next generation beside it and
// switches CURRENT by an atomic rename. Shared by the store's parts
// (member_store.cpp, member_snapshot.cpp, member_generations.cpp).
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace refhost::generations {

// The file in a member directory that names its live store file.
inline constexpr const char* kCurrent = "CURRENT";

// Generation of "graph-<n>.db" / "import-<n>.tmp", or 0.
uint64_t generation_of(const std::string& name);
// One above the highest generation of any file in `dir`.
uint64_t next_generation(const std::filesystem::path& dir);
std::string graph_file_name(uint64_t gen);
// A store file with its WAL, shared-memory and journal files.
void remove_db_files(const std::filesystem::path& file);
// A new store file (schema and state row with `store_id`), synced.
ccdr::Status create_store_file(const std::filesystem::path& file, const std::string& store_id, bool wal);

}  // namespace refhost::generations
