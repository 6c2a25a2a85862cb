# Benchmarks of the reference host's core: commit and apply_batch throughput.
add_executable(refhost_bench bench/refhost_bench.cpp)
target_link_libraries(refhost_bench PRIVATE refhost_test_support)
add_test(NAME bench.refhost_quick COMMAND refhost_bench --quick)
set_tests_properties(bench.refhost_quick PROPERTIES LABELS bench)
add_test(NAME bench.refhost COMMAND refhost_bench)
set_tests_properties(bench.refhost PROPERTIES LABELS "bench;long" TIMEOUT 1800)
# WAL checkpoints against paced commits and a polling reader (checkpoint_bench.cpp).
add_executable(checkpoint_bench bench/checkpoint_bench.cpp)
target_link_libraries(checkpoint_bench PRIVATE refhost_test_support)
add_test(NAME bench.checkpoint_quick COMMAND checkpoint_bench 3)
set_tests_properties(bench.checkpoint_quick PROPERTIES LABELS bench)
add_test(NAME bench.checkpoint COMMAND checkpoint_bench 60)
set_tests_properties(bench.checkpoint PROPERTIES LABELS "bench;long" TIMEOUT 600)
