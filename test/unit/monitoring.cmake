# Unit tests of what the refhost adds for monitoring (docs/monitoring.md).
if(TARGET refhost_core)
  add_executable(monitoring_unit_tests unit/main.cpp unit/monitoring/certificate_expiry_test.cpp)
  target_link_libraries(monitoring_unit_tests PRIVATE refhost_core Catch2::Catch2 ccdr::options)
  catch_discover_tests(monitoring_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
endif()
