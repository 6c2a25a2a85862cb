# Unit tests of the reference host's core (examples/refhost, refhost_core).
add_library(refhost_test_support STATIC support/refhost_home.cpp)
target_include_directories(refhost_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(refhost_test_support PUBLIC refhost_core ccdr::options)

add_executable(refhost_unit_tests
  unit/main.cpp
  unit/refhost/dbms_test.cpp
  unit/refhost/log_test.cpp
  unit/refhost/group_commit_test.cpp
  unit/refhost/wal_checkpointer_test.cpp
  unit/refhost/settings_test.cpp
  unit/refhost/allocation_test.cpp
  unit/refhost/codec_test.cpp
  unit/refhost/admin_test.cpp
  unit/refhost/plugin_host_test.cpp
  unit/refhost/metrics_test.cpp
  unit/refhost/transactions_test.cpp
  unit/refhost/certificate_expiry_test.cpp
  unit/refhost/status_codes_test.cpp
  unit/refhost/java_double_test.cpp
  unit/refhost/switch_region_test.cpp
  unit/refhost/running_fingerprint_test.cpp
  unit/refhost/node_labels_test.cpp
  unit/refhost/member_apply_parts_test.cpp
  unit/refhost/snapshot_file_test.cpp
  unit/refhost/segment_log_test.cpp
  unit/refhost/store_reports_test.cpp
)
target_link_libraries(refhost_unit_tests PRIVATE refhost_test_support Catch2::Catch2 PkgConfig::SQLITE3)
target_compile_definitions(refhost_unit_tests PRIVATE
  CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>"
  CCDR_TEST_PROCS_PLUGIN="$<TARGET_FILE:test_procs_plugin>")
add_dependencies(refhost_unit_tests ccdr test_procs_plugin)
catch_discover_tests(refhost_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

# Users, roles and privileges (issue 22): the refhost's user directory, the
# Cypher user and role commands and the privilege checks on a real in-process
# cluster.
add_executable(refhost_security_tests
  unit/main.cpp
  unit/refhost/security_test.cpp
)
target_link_libraries(refhost_security_tests PRIVATE refhost_test_support refhost_cypher Catch2::Catch2)
catch_discover_tests(refhost_security_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

# One truth for defaults (issue 17): the settings tables of docs/refhost.md,
# docs/operations.md and docs/protocol.md against the refhost's setting
# catalogue and the plugin's declared settings and SSL policy fallbacks.
add_executable(documented_defaults_tests unit/main.cpp unit/refhost/documented_defaults_test.cpp)
target_link_libraries(documented_defaults_tests PRIVATE refhost_core ccdr_settings Catch2::Catch2)
target_compile_definitions(documented_defaults_tests PRIVATE CCDR_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
catch_discover_tests(documented_defaults_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
