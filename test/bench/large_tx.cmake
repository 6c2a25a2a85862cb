# One large transaction replicated in bounded memory (large_tx_bench.sh;
# issue 18 item 7): payload size and peak RssAnon growth of the upstream and
# the replica process. The 30 000-node form runs in the default suite
# (integration.large_tx: a transaction of ~2.2 MiB, twice the default batch,
# must be applied in parts); 300 000 and 3 000 000 nodes are bench.large_tx
# (also `long`: the 3 000 000-node commit alone needs GBs on the upstream).
add_test(NAME integration.large_tx
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/large_tx_bench.sh ${CMAKE_BINARY_DIR} --nodes 30000 --expect-parts)
set_tests_properties(integration.large_tx PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
add_test(NAME bench.large_tx
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/large_tx_bench.sh ${CMAKE_BINARY_DIR} --expect-parts)
set_tests_properties(bench.large_tx PROPERTIES LABELS "bench;long" TIMEOUT 3600 SKIP_RETURN_CODE 77)
