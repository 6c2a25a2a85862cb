# The replication pipeline benchmark (label bench; `--quick` is the short
# form, the full form also carries `long`).
add_executable(pipeline_bench bench/pipeline_bench.cpp)
target_link_libraries(pipeline_bench PRIVATE ccdr_transport_test_support ccdr_plugin_core)
add_test(NAME bench.pipeline COMMAND pipeline_bench --quick)
set_tests_properties(bench.pipeline PROPERTIES LABELS bench)
add_test(NAME bench.pipeline.full COMMAND pipeline_bench)
set_tests_properties(bench.pipeline.full PROPERTIES LABELS "bench;long" TIMEOUT 1800)
