# Integration tests of the reference host: real refhost processes, real
# crashes. The crash test has a short form (3 kills, label integration) and a
# long form (25 kills, labels integration;long).
add_executable(refhost_crash_writer integration/refhost/crash_writer.cpp)
target_link_libraries(refhost_crash_writer PRIVATE refhost_core ccdr::options)

add_library(refhost_process_support STATIC support/child_process.cpp)
target_include_directories(refhost_process_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(refhost_process_support PUBLIC ccdr::options)

add_executable(refhost_integration_tests
  unit/main.cpp
  integration/refhost/process_test.cpp
  integration/refhost/crash_test.cpp
)
target_link_libraries(refhost_integration_tests PRIVATE refhost_test_support refhost_process_support Catch2::Catch2)
target_compile_definitions(refhost_integration_tests PRIVATE
  REFHOST_BINARY="$<TARGET_FILE:refhost>"
  REFHOST_CRASH_WRITER="$<TARGET_FILE:refhost_crash_writer>"
  CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>"
  CCDR_TEST_PLUGIN_MAJOR2="$<TARGET_FILE:plugin_major2>")
add_dependencies(refhost_integration_tests refhost refhost_crash_writer ccdr plugin_major2)
catch_discover_tests(refhost_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
add_test(NAME integration.refhost_crash_long
  COMMAND refhost_integration_tests "[crash]")
set_tests_properties(integration.refhost_crash_long PROPERTIES
  LABELS "integration;long" ENVIRONMENT "CCDR_CRASH_ROUNDS=25" TIMEOUT 1800)
