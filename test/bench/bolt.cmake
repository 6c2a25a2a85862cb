# Benchmark of the Bolt front end against a real refhost process: round-trip
# latency (p50/p99 of RETURN 1) and simple-query throughput. Label bench; the
# --quick form is bench.bolt_quick, the full one carries `long` too.
if(TARGET refhost AND TARGET refhost_process_support AND TARGET refhost_test_support)
  add_executable(bolt_bench bench/bolt_bench.cpp)
  target_link_libraries(bolt_bench PRIVATE refhost_bolt_fakes refhost_test_support refhost_process_support ccdr::options)
  target_compile_definitions(bolt_bench PRIVATE REFHOST_BINARY="$<TARGET_FILE:refhost>")
  add_dependencies(bolt_bench refhost)
  add_test(NAME bench.bolt_quick COMMAND bolt_bench --quick)
  set_tests_properties(bench.bolt_quick PROPERTIES LABELS bench TIMEOUT 300)
  add_test(NAME bench.bolt COMMAND bolt_bench)
  set_tests_properties(bench.bolt PROPERTIES LABELS "bench;long" TIMEOUT 900)
endif()
