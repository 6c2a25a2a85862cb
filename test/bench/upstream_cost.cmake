# What replication costs the upstream's process, in CPU seconds per 1 000
# commits, with 0 and more replica clusters attached (upstream_cost.sh; issue
# 19), each case unpaced and then paced at one rate for all (the cost at the
# same load). `--quick`: single-member replica clusters, 0/1/4; the full
# form: the seed's 3 + 2 topology, 0/1/8 replica clusters (also `long`).
add_test(NAME bench.upstream_cost
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/upstream_cost.sh ${CMAKE_BINARY_DIR} --quick)
set_tests_properties(bench.upstream_cost PROPERTIES LABELS bench TIMEOUT 600)
add_test(NAME bench.upstream_cost.full
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/upstream_cost.sh ${CMAKE_BINARY_DIR})
set_tests_properties(bench.upstream_cost.full PROPERTIES LABELS "bench;long" TIMEOUT 3600)
