# The programs: refhost (one cluster from a HOME, plus its offline commands).
add_executable(refhost app/main.cpp)
target_link_libraries(refhost PRIVATE refhost_core refhost_bolt refhost_cypher ccdr::options)
install(TARGETS refhost RUNTIME DESTINATION bin COMPONENT refhost)
