// test/unit/refhost/store_test_dir.hpp: what the member store's unit tests
// share: a temporary directory removed at the end of the test, and store
// options without fsync (the tests of logic that need no durability).
#pragma once

#include "store/member_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace refhost::test {

struct StoreTestDir {
    std::filesystem::path path;
    explicit StoreTestDir(const std::string& prefix) {
        path = std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(path);
    }
    ~StoreTestDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    StoreTestDir(const StoreTestDir&) = delete;
    StoreTestDir& operator=(const StoreTestDir&) = delete;
};

inline MemberStore::Options unsynced_store_options() {
    MemberStore::Options o;
    o.sync_commits = false;
    return o;
}

}  // namespace refhost::test
