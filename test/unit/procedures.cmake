# internal.dbms.* procedures driven through the in-memory host.
add_executable(procedures_unit_tests unit/main.cpp unit/procedures/replica_procedures_test.cpp
  unit/procedures/subscriptions_procedure_test.cpp unit/procedures/region_switch_procedures_test.cpp
  unit/procedures/promotion_report_test.cpp unit/procedures/promote_options_test.cpp
  unit/procedures/drill_procedure_test.cpp unit/procedures/save_transactions_test.cpp)
target_link_libraries(procedures_unit_tests PRIVATE ccdr_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(procedures_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
