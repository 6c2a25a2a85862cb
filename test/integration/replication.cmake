# Integration tests of the replication engine between two plugin instances
# in MemoryHosts (test/support/replication_world.hpp): streaming, store copy,
# the upstream probe, and faults (verification, proxy faults, lineage).
add_library(ccdr_replication_test_support STATIC support/fault_proxy.cpp support/fault_proxy_session.cpp)
target_include_directories(ccdr_replication_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(ccdr_replication_test_support PUBLIC ccdr::options Threads::Threads PRIVATE ccdr::asio)
# As in plugin/CMakeLists.txt: Asio's fenced blocks use atomic_thread_fence,
# which GCC refuses under -Werror=tsan; under TSan Asio's null fence is used
# (handlers are ordered by the scheduler's locks). Only the proxy's own
# sources include Asio, so the definition stays private to them.
if("thread" IN_LIST CCDR_SANITIZER)
  target_compile_definitions(ccdr_replication_test_support PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
endif()

add_executable(replication_integration_tests
  unit/main.cpp
  integration/replication/stream_test.cpp
  integration/replication/commit_handover_test.cpp
  integration/replication/store_copy_test.cpp
  integration/replication/upstream_probe_test.cpp
  integration/replication/verify_test.cpp
  integration/replication/proxy_faults_test.cpp
  integration/replication/lineage_test.cpp
  integration/replication/versions_test.cpp
  integration/replication/subscriptions_test.cpp
  integration/replication/switchover_test.cpp
  integration/replication/compression_test.cpp
  integration/replication/hold_release_protocol_test.cpp
  integration/replication/apply_overlap_test.cpp
  integration/replication/fanout_test.cpp
  integration/replication/many_subscriptions_test.cpp
  integration/replication/tx_parts_test.cpp
)
target_link_libraries(replication_integration_tests PRIVATE ccdr_replication_test_support
  ccdr_transport_test_support ccdr_test_support ccdr_plugin_core Catch2::Catch2)
target_compile_definitions(replication_integration_tests PRIVATE CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>"
  CCDR_PLUGIN_V0_3_0="$<TARGET_FILE:ccdr_v0_3_0>" CCDR_PLUGIN_V1_0_0="$<TARGET_FILE:ccdr_v1_0_0>")
add_dependencies(replication_integration_tests ccdr ccdr_v0_3_0 ccdr_v1_0_0)
catch_discover_tests(replication_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
# The proxy faults' long form: 1000 rounds of every kind.
add_test(NAME long.faults.proxy_faults COMMAND replication_integration_tests "[proxy]")
set_tests_properties(long.faults.proxy_faults PROPERTIES
  LABELS "integration;long" ENVIRONMENT "CCDR_PROXY_FAULTS=1000" TIMEOUT 3600)
# Fan-out: the puller's server stopped at random moments, 50 rounds (5 in
# the default suite).
add_test(NAME long.fanout.puller_kill COMMAND replication_integration_tests "[fanout_kill]")
set_tests_properties(long.fanout.puller_kill PROPERTIES
  LABELS "integration;long" ENVIRONMENT "CCDR_FANOUT_ROUNDS=50" TIMEOUT 3600)
