# refhost_core: everything of the reference host but its client front ends:
# settings, system database, member stores and transaction log, the
# in-process cluster (DbmsApi), the host side of the ccdr ABI, metrics.
add_library(refhost_core STATIC
  store/sqlite.cpp
  store/file_util.cpp
  store/value_codec.cpp
  store/change_record.cpp
  store/node_label_set.cpp
  store/label_migration.cpp
  store/store_connection.cpp
  store/running_fingerprint.cpp
  store/retention.cpp
  store/write_lock_queue.cpp
  store/member_generations.cpp
  store/wal_checkpointer.cpp
  store/segment_log.cpp
  store/durable_tail.cpp
  store/member_store.cpp
  store/member_recovery.cpp
  store/member_log.cpp
  store/member_apply_parts.cpp
  store/member_snapshot.cpp
  store/member_content_fingerprint.cpp
  store/member_running_fingerprint.cpp
  store/log_replay.cpp
  store/change_json.cpp
  store/graph_tx.cpp
  config/setting_catalog.cpp
  config/config.cpp
  security/password.cpp
  security/user_directory.cpp
  system/allocation.cpp
  system/system_db.cpp
  common/value_conv.cpp
  dbms/member.cpp
  dbms/deadline_timer.cpp
  dbms/write_lock_wait.cpp
  dbms/transaction_registry.cpp
  dbms/cluster_open.cpp
  dbms/cluster_admin.cpp
  dbms/cluster_access.cpp
  dbms/cluster_promotion.cpp
  dbms/cluster_copy.cpp
  dbms/cluster_demotion.cpp
  dbms/cluster_commands.cpp
  dbms/member_catch_up.cpp
  dbms/cluster_tx.cpp
  dbms/cluster_show.cpp
  dbms/test_divergence.cpp
  dbms/privileged_graph.cpp
  logging/debug_log.cpp
  plugin_host/store_access.cpp
  plugin_host/server_host.cpp
  plugin_host/plugin_host.cpp
  metrics/metric_sample.cpp
  metrics/certificate_expiry.cpp
  metrics/prometheus_endpoint.cpp
  metrics/metrics_service.cpp
  app/runtime.cpp
  app/admin_commands.cpp
)
target_include_directories(refhost_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(refhost_core PUBLIC
  ccdr::cpp ccdr::options ccdr::asio OpenSSL::SSL OpenSSL::Crypto
  PkgConfig::SQLITE3 PkgConfig::XXHASH spdlog::spdlog Threads::Threads)
# Boost.Asio uses std::atomic_thread_fence, which GCC flags under
# ThreadSanitizer (-Wtsan); the Prometheus endpoint is our only Asio user.
if("thread" IN_LIST CCDR_SANITIZER AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set_source_files_properties(metrics/prometheus_endpoint.cpp PROPERTIES COMPILE_OPTIONS -Wno-tsan)
endif()
