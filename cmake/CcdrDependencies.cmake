# Every dependency comes from a Debian 12 package (scripts/setup.sh installs them);
# nothing is vendored or downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)            # libboost-dev: header-only Asio
find_package(OpenSSL 3 REQUIRED)             # libssl-dev
find_package(spdlog REQUIRED)                # libspdlog-dev (1.10, fmt 9)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)          # liblz4-dev
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)    # libxxhash-dev
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)     # libsqlite3-dev
if(CCDR_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)         # catch2
  include(Catch)
endif()
