# libFuzzer targets for the replication wire (preset `fuzz`: clang,
# CCDR_BUILD_FUZZERS=ON). The protocol sources are compiled again here with
# coverage instrumentation, ASan and UBSan; the committed seed corpus is in
# fuzz/corpus/<target>/ (regenerate with make_seed_corpus <dir>). New inputs
# go to a corpus directory in the build tree, never into the source tree.
# Build only these targets in the fuzz preset: the rest of the plugin uses
# Asio coroutines, which Boost 1.74 enables for GCC only.
add_library(ccdr_protocol_fuzzing STATIC
  ${PROJECT_SOURCE_DIR}/plugin/protocol/batch.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/batch_packing.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/frame.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/lz4_stream.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/messages.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/short_frame.cpp
  ${PROJECT_SOURCE_DIR}/plugin/protocol/tx_part.cpp
)
target_include_directories(ccdr_protocol_fuzzing PUBLIC ${PROJECT_SOURCE_DIR}/plugin)
target_link_libraries(ccdr_protocol_fuzzing PUBLIC ccdr::cpp ccdr::options PkgConfig::LZ4 PkgConfig::XXHASH)
target_compile_options(ccdr_protocol_fuzzing PUBLIC -fsanitize=fuzzer-no-link,address,undefined)
target_link_options(ccdr_protocol_fuzzing PUBLIC -fsanitize=address,undefined)

add_executable(make_seed_corpus fuzz/make_seed_corpus.cpp)
target_link_libraries(make_seed_corpus PRIVATE ccdr_protocol_fuzzing)

foreach(target frame_decoder session_decoder)
  add_executable(fuzz_${target} fuzz/fuzz_${target}.cpp)
  target_link_libraries(fuzz_${target} PRIVATE ccdr_protocol_fuzzing)
  target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
  set(_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus/${target})
  file(MAKE_DIRECTORY ${_work})
  add_test(NAME fuzz.${target}
    COMMAND fuzz_${target} -max_total_time=10 -rss_limit_mb=2048 ${_work}
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
  set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz)
  add_test(NAME fuzz.${target}.long
    COMMAND fuzz_${target} -max_total_time=600 -rss_limit_mb=2048 ${_work}
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
  set_tests_properties(fuzz.${target}.long PROPERTIES LABELS "fuzz;long" TIMEOUT 900)
endforeach()
