# Faults, bad input and security (issue 8): verification of replicas against
# their upstream, between MemoryHosts over mutual TLS.
add_executable(faults_integration_tests
  unit/main.cpp
  integration/faults/verify_test.cpp
  integration/faults/proxy_faults_test.cpp
  integration/faults/lineage_test.cpp
)
target_link_libraries(faults_integration_tests PRIVATE ccdr_replication_test_support
  ccdr_transport_test_support ccdr_test_support ccdr_plugin_core Catch2::Catch2)
target_compile_definitions(faults_integration_tests PRIVATE CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>")
add_dependencies(faults_integration_tests ccdr)
catch_discover_tests(faults_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
add_test(NAME long.faults.proxy_faults COMMAND faults_integration_tests "[proxy]")
set_tests_properties(long.faults.proxy_faults PROPERTIES
  LABELS "integration;long" ENVIRONMENT "CCDR_PROXY_FAULTS=1000" TIMEOUT 3600)

# Faults, bad input and security against real refhost clusters (bash scripts
# driving refhost, ccdr-shell and a raw frame client; test/faults/lib.sh).
# Short forms are labelled integration; long forms integration;long.
set(_faults_dir ${CMAKE_CURRENT_SOURCE_DIR}/faults)

add_test(NAME integration.faults.verify_refhost
  COMMAND bash ${_faults_dir}/verify_refhost.sh ${CMAKE_BINARY_DIR})
add_test(NAME integration.faults.bad_input_refhost
  COMMAND bash ${_faults_dir}/bad_input_refhost.sh ${CMAKE_BINARY_DIR})
add_test(NAME integration.faults.security_refhost
  COMMAND bash ${_faults_dir}/security_refhost.sh ${CMAKE_BINARY_DIR})
add_test(NAME integration.faults.frames_no_users
  COMMAND bash ${_faults_dir}/frames_no_users.sh ${CMAKE_BINARY_DIR})
add_test(NAME integration.faults.crash_rounds
  COMMAND bash ${_faults_dir}/crash_rounds.sh ${CMAKE_BINARY_DIR} 5 3)
set_tests_properties(
  integration.faults.verify_refhost integration.faults.bad_input_refhost integration.faults.security_refhost
  integration.faults.frames_no_users integration.faults.crash_rounds
  PROPERTIES LABELS integration TIMEOUT 900)

add_test(NAME long.faults.crash_rounds
  COMMAND bash ${_faults_dir}/crash_rounds.sh ${CMAKE_BINARY_DIR} 100 30)
set_tests_properties(long.faults.crash_rounds PROPERTIES LABELS "integration;long" TIMEOUT 7200)

# Cross-region emulation (root: network namespaces, and tc netem or else
# /dev/net/tun for the userspace emulator; skipped, exit 77, without them):
# short form 20 s in CI, long form 300 s, both at 500 tx/s asked; only the
# long form fails when p99 lag reaches RTT + 100 ms.
add_test(NAME integration.faults.netem_lag
  COMMAND bash ${_faults_dir}/netem_lag.sh ${CMAKE_BINARY_DIR} 20 500)
set_tests_properties(integration.faults.netem_lag PROPERTIES LABELS integration TIMEOUT 600 SKIP_RETURN_CODE 77)
add_test(NAME long.faults.netem_lag
  COMMAND ${CMAKE_COMMAND} -E env CCDR_NETEM_ASSERT_LAG=1 bash ${_faults_dir}/netem_lag.sh ${CMAKE_BINARY_DIR} 300 500)
set_tests_properties(long.faults.netem_lag PROPERTIES LABELS "integration;long" TIMEOUT 1800 SKIP_RETURN_CODE 77)
