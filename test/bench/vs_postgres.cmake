# vs_postgres_load: the client of test/bench/vs-postgres (ccdr over Bolt and
# PostgreSQL over libpq, the same work and timing on both). Built only when
# libpq is there (Debian: libpq-dev); the script is run by hand, not by
# ctest (see docs/benchmarks.md).
pkg_check_modules(LIBPQ IMPORTED_TARGET libpq)
if(LIBPQ_FOUND AND TARGET refhost_bolt)
  add_executable(vs_postgres_load
    bench/vs_postgres/load_main.cpp
    bench/vs_postgres/ccdr_connection.cpp
    bench/vs_postgres/postgres_connection.cpp)
  target_include_directories(vs_postgres_load PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/bench)
  target_link_libraries(vs_postgres_load PRIVATE refhost_bolt PkgConfig::LIBPQ Threads::Threads ccdr::options)
endif()
