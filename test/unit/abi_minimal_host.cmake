# A host written in C from abi/ccdr/abi.h and abi/README.md alone
# (unit/abi/minimal_host.c) loads the built libccdr.so, runs one instance
# through its lifecycle and calls its procedures.
add_executable(minimal_c_host unit/abi/minimal_host.c)
set_target_properties(minimal_c_host PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_link_libraries(minimal_c_host PRIVATE ccdr::abi ccdr::options ${CMAKE_DL_LIBS})
add_dependencies(minimal_c_host ccdr)
add_test(NAME unit.abi_minimal_c_host COMMAND minimal_c_host $<TARGET_FILE:ccdr>)
set_tests_properties(unit.abi_minimal_c_host PROPERTIES LABELS unit TIMEOUT 120)
