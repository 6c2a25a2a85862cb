# Unit tests of a replica member's parts: its setup and state, the applier,
# the store copy, the puller and the member's state machine (the last three
# against an upstream scripted on 127.0.0.1). They link the replica layer
# alone, not the plugin.
add_executable(replica_unit_tests
  unit/main.cpp
  unit/replica/member_setup_test.cpp
  unit/replica/applier_test.cpp
  unit/replica/applier_parts_test.cpp
  unit/replica/delay_spool_test.cpp
  unit/replica/pending_hold_releases_test.cpp
  unit/replica/store_copy_test.cpp
  unit/replica/store_copy_spool_test.cpp
  unit/replica/puller_test.cpp
  unit/replica/replica_member_test.cpp
  unit/replica/pull_sources_test.cpp
  unit/replica/ack_spacing_test.cpp
)
target_link_libraries(replica_unit_tests PRIVATE ccdr_replica ccdr_test_support Catch2::Catch2)
catch_discover_tests(replica_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
