# Packaging and monitoring tests (docs/packaging.md, docs/monitoring.md).
#   integration.monitoring_*     promtool check/test of the alert rules, the
#                                Grafana dashboard, the lag picture
#   integration.operator_tools   make-home.sh and lag-plot.sh from the source
#                                tree (tools_test.sh)
#   integration.prometheus_scrape  Debian's prometheus scraping two refhost
#                                clusters (installs prometheus when root)
#   install.packages_*           the .deb packages: built with CPack, lintian,
#                                systemd-analyze, and installed, run, removed
#                                and purged on this machine (root only)
# Tests that cannot run here (not root, a tool missing) are reported as
# skipped with the reason, never as passed.
set(_pkg_tests ${CMAKE_CURRENT_LIST_DIR}/packaging)
set(_monitoring ${PROJECT_SOURCE_DIR}/examples/monitoring)
set(_debs ${CMAKE_BINARY_DIR}/test-packages)
find_program(CCDR_NODE node)

# --- alert rules and dashboard ----------------------------------------------
add_test(NAME integration.monitoring_rules_check
  COMMAND ${_pkg_tests}/promtool.sh check rules ccdr-rules.yml
  WORKING_DIRECTORY ${_monitoring}/prometheus)
add_test(NAME integration.monitoring_rules_unit
  COMMAND ${_pkg_tests}/promtool.sh test rules ccdr-rules.test.yml
  WORKING_DIRECTORY ${_monitoring}/prometheus)
set_tests_properties(integration.monitoring_rules_check integration.monitoring_rules_unit PROPERTIES
  LABELS integration SKIP_RETURN_CODE 77)

add_test(NAME integration.monitoring_lag_plot COMMAND ${_pkg_tests}/lag_plot_test.sh ${_monitoring}/lag-plot.sh)
set_tests_properties(integration.monitoring_lag_plot PROPERTIES LABELS integration SKIP_RETURN_CODE 77)

# The operator's tools from the source tree: make-home.sh without a refhost
# to find, with bad arguments, refused settings; lag-plot.sh by server name.
if(TARGET refhost AND TARGET ccdr-shell)
  add_test(NAME integration.operator_tools COMMAND bash ${_pkg_tests}/tools_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(integration.operator_tools PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()

if(CCDR_NODE)
  add_test(NAME integration.monitoring_dashboard
    COMMAND ${CCDR_NODE} --test ${_pkg_tests}/dashboard.test.js)
  set_tests_properties(integration.monitoring_dashboard PROPERTIES LABELS integration)
endif()

# --- Prometheus scraping two clusters ------------------------------------------
if(CCDR_NODE AND TARGET refhost AND TARGET ccdr-shell)
  add_test(NAME integration.prometheus_scrape
    COMMAND ${CCDR_NODE} --test ${_pkg_tests}/prometheus.test.js)
  set_tests_properties(integration.prometheus_scrape PROPERTIES
    LABELS integration
    TIMEOUT 300
    RESOURCE_LOCK apt
    SKIP_REGULAR_EXPRESSION "CCDR-TEST-SKIPPED"
    ENVIRONMENT "REFHOST_BIN=$<TARGET_FILE:refhost>;CCDR_SHELL_BIN=$<TARGET_FILE:ccdr-shell>;CCDR_PLUGIN=$<TARGET_FILE:ccdr>")
endif()

# --- the Debian packages ---------------------------------------------------------
if(TARGET refhost AND TARGET ccdr-shell)
  add_test(NAME install.packages_build COMMAND ${_pkg_tests}/build_debs.sh ${CMAKE_BINARY_DIR} ${_debs})
  set_tests_properties(install.packages_build PROPERTIES
    LABELS install FIXTURES_SETUP ccdr_debs RESOURCE_LOCK ccdr_debs_dir)
  add_test(NAME install.packages_lintian COMMAND ${_pkg_tests}/lintian_debs.sh ${_debs})
  add_test(NAME install.packages_systemd_unit COMMAND ${_pkg_tests}/systemd_unit_test.sh ${_debs})
  set_tests_properties(install.packages_lintian install.packages_systemd_unit PROPERTIES
    LABELS install FIXTURES_REQUIRED ccdr_debs SKIP_RETURN_CODE 77 TIMEOUT 300)
  if(CCDR_NODE)
    # flock: one install test per machine at a time (several worktrees or
    # CI may run the suite at once; they share dpkg's database).
    add_test(NAME install.packages_apt
      COMMAND flock /run/lock/ccdr-install-test.lock ${CCDR_NODE} --test ${_pkg_tests}/install.test.js)
    set_tests_properties(install.packages_apt PROPERTIES
      LABELS install
      TIMEOUT 600
      FIXTURES_REQUIRED ccdr_debs
      RESOURCE_LOCK apt
      SKIP_REGULAR_EXPRESSION "CCDR-TEST-SKIPPED"
      ENVIRONMENT "CCDR_DEB_DIR=${_debs}")
  endif()
endif()
