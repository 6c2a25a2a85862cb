# A store copy against `cp` of the same store files on the same disk, and a
# store copy cut in the middle and resumed (store_copy_bench.sh; issue 19).
# `--quick`: a 256 MiB database; the full form: 5 GiB (also `long`).
add_test(NAME bench.store_copy
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/store_copy_bench.sh ${CMAKE_BINARY_DIR} --quick)
set_tests_properties(bench.store_copy PROPERTIES LABELS bench TIMEOUT 900)
add_test(NAME bench.store_copy.full
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/store_copy_bench.sh ${CMAKE_BINARY_DIR})
set_tests_properties(bench.store_copy.full PROPERTIES LABELS "bench;long" TIMEOUT 7200)
