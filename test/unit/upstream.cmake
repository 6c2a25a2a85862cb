# Unit tests of the upstream's parts: the pacer's sending decisions, the
# checks, the batcher and the ACK reader (the reader against a scripted
# replica on 127.0.0.1). They link the upstream layer alone, not the plugin.
add_executable(upstream_unit_tests
  unit/main.cpp
  unit/upstream/batch_pacer_test.cpp
  unit/upstream/upstream_checks_test.cpp
  unit/upstream/region_switch_answers_test.cpp
  unit/upstream/batcher_test.cpp
  unit/upstream/batch_pipeline_test.cpp
  unit/upstream/shared_log_test.cpp
  unit/upstream/ack_reader_test.cpp
  unit/upstream/connection_deadline_test.cpp
  unit/upstream/subscription_stats_test.cpp
  unit/upstream/replica_log_holds_test.cpp
  unit/upstream/snapshot_spools_test.cpp
  unit/upstream/latency_trace_test.cpp
)
target_link_libraries(upstream_unit_tests PRIVATE ccdr_upstream ccdr_test_support Catch2::Catch2)
catch_discover_tests(upstream_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
