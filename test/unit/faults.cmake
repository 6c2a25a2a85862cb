# Unit tests of the verification pieces (issue 8): fingerprint messages and
# the ABI 1.1 content_fingerprint of the in-memory host.
add_executable(faults_unit_tests unit/main.cpp unit/faults/fingerprint_test.cpp)
target_link_libraries(faults_unit_tests PRIVATE ccdr_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(faults_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
