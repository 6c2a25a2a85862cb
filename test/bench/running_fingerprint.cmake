# Continuous verification (issue 16): what keeping the refhost's running
# fingerprint costs a commit, and what reading it costs at 10 000 and at
# 1 000 000 nodes.
add_executable(running_fingerprint_bench bench/running_fingerprint_bench.cpp)
target_link_libraries(running_fingerprint_bench PRIVATE refhost_core)
add_test(NAME bench.running_fingerprint_quick COMMAND running_fingerprint_bench --quick)
set_tests_properties(bench.running_fingerprint_quick PROPERTIES LABELS bench TIMEOUT 900)
add_test(NAME bench.running_fingerprint COMMAND running_fingerprint_bench)
set_tests_properties(bench.running_fingerprint PROPERTIES LABELS "bench;long" TIMEOUT 1800)
