# The drift check (internal.dbms.compareSecurity) between two plugin
# instances in MemoryHosts over mutual TLS (issue 22).
add_executable(security_integration_tests
  unit/main.cpp
  integration/security/drift_test.cpp
)
target_link_libraries(security_integration_tests PRIVATE ccdr_replication_test_support
  ccdr_transport_test_support ccdr_test_support ccdr_plugin_core Catch2::Catch2)
target_compile_definitions(security_integration_tests PRIVATE CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>")
add_dependencies(security_integration_tests ccdr)
catch_discover_tests(security_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
