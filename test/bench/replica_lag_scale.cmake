# Each replica cluster's commit-to-visible lag when many replicate one
# upstream, beside the single-replica figure of the same run
# (replica_lag_scale.sh; issue 19). `--quick`: 2 single-member replica
# clusters at 100 tx/s for 10 s; the full form: 8 replica clusters of 3 + 2
# at 500 tx/s for 60 s (also `long`).
add_test(NAME bench.replica_lag_scale
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/replica_lag_scale.sh ${CMAKE_BINARY_DIR} --quick)
set_tests_properties(bench.replica_lag_scale PROPERTIES LABELS bench TIMEOUT 900)
add_test(NAME bench.replica_lag_scale.full
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/replica_lag_scale.sh ${CMAKE_BINARY_DIR})
set_tests_properties(bench.replica_lag_scale.full PROPERTIES LABELS "bench;long" TIMEOUT 3600)
