# Benchmark of the refhost's Cypher engine on the in-memory graph.
if(TARGET refhost_test_fakes)
  add_executable(cypher_bench bench/cypher_bench.cpp)
  target_link_libraries(cypher_bench PRIVATE refhost_test_fakes refhost_cypher ccdr::options)
  add_test(NAME bench.cypher_quick COMMAND cypher_bench --quick)
  set_tests_properties(bench.cypher_quick PROPERTIES LABELS bench)
  add_test(NAME bench.cypher COMMAND cypher_bench)
  set_tests_properties(bench.cypher PROPERTIES LABELS "bench;long")
endif()
