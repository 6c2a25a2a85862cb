# Unit tests of the test support itself: the FaultProxy (delay and throttle
# against real sockets on 127.0.0.1, and their clean end on drop, partition
# and shutdown).
add_executable(fault_proxy_unit_tests unit/main.cpp unit/support/fault_proxy_test.cpp)
target_link_libraries(fault_proxy_unit_tests PRIVATE ccdr_replication_test_support Catch2::Catch2)
catch_discover_tests(fault_proxy_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

# No Catch2 test name holds a ';': CTest would cut it there and run nothing.
add_test(NAME unit.catch_test_names_have_no_semicolon
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/unit/support/check_test_names.sh ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(unit.catch_test_names_have_no_semicolon PROPERTIES LABELS unit)
