# Unit tests of ccdr-shell (examples/refhost/shell/): options, literals,
# rendering, scripts, and sessions against a fake Bolt server
# (test/support/bolt_fakes.*).
add_executable(shell_unit_tests
  unit/main.cpp
  unit/shell/shell_test.cpp
)
target_link_libraries(shell_unit_tests PRIVATE refhost_bolt_fakes refhost_shell Catch2::Catch2)
catch_discover_tests(shell_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
