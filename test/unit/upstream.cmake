# Unit tests of the upstream's sending decisions (pure logic, no sockets).
add_executable(upstream_unit_tests
  unit/main.cpp
  unit/upstream/batch_pacer_test.cpp
)
target_link_libraries(upstream_unit_tests PRIVATE ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(upstream_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
