# Users, roles and privileges (issue 22): the refhost's user directory, the
# Cypher user and role commands and the privilege checks on a real in-process
# cluster; the drift check's wire messages, comparison and ABI 1.2 call.
add_executable(refhost_security_tests
  unit/main.cpp
  unit/refhost/security_test.cpp
)
target_link_libraries(refhost_security_tests PRIVATE refhost_test_support refhost_cypher Catch2::Catch2)
catch_discover_tests(refhost_security_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

add_executable(security_drift_tests
  unit/main.cpp
  unit/security/drift_test.cpp
)
target_link_libraries(security_drift_tests PRIVATE ccdr_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(security_drift_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
