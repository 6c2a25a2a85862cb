# The drift check (issue 22): its wire messages, comparison and ABI 1.2 call.
add_executable(security_drift_tests
  unit/main.cpp
  unit/security/drift_test.cpp
)
target_link_libraries(security_drift_tests PRIVATE ccdr_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(security_drift_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
