# WAN bytes per transaction of one replica database with fan-out on and off
# (label bench; `--quick` is the short form, the full form also carries
# `long`).
add_executable(fanout_bench bench/fanout_bench.cpp)
target_link_libraries(fanout_bench PRIVATE ccdr_replication_test_support ccdr_transport_test_support
  ccdr_test_support ccdr_plugin_core)
target_compile_definitions(fanout_bench PRIVATE CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>")
add_dependencies(fanout_bench ccdr)
add_test(NAME bench.fanout COMMAND fanout_bench --quick)
set_tests_properties(bench.fanout PROPERTIES LABELS bench)
add_test(NAME bench.fanout.full COMMAND fanout_bench)
set_tests_properties(bench.fanout.full PROPERTIES LABELS "bench;long" TIMEOUT 1800)
