# Debian packages of ccdr, built with CPack from the install rules of two
# components (scripts/package.sh; docs/packaging.md):
#   ccdr-plugin   libccdr.so in /usr/lib/ccdr/plugins; Provides ccdr-abi-<major>;
#                 ccdr-gen-certs (every host of the plugin needs certificates)
#   ccdr-refhost  refhost, ccdr-shell, ccdr-make-home, ccdr-lag-plot (they read
#                 and write refhost homes), the systemd unit, /etc/ccdr/neo4j.conf;
#                 its postinst makes the user ccdr and the HOME /var/lib/ccdr
# The tools are the scripts of the source tree (examples/dr/gen-certs.sh,
# make-home.sh, examples/monitoring/lag-plot.sh) under their installed names.
# Dependencies come from dpkg-shlibdeps; maintainer scripts and the conffile
# list are written out here, never inferred.
if(NOT CCDR_BUILD_REFHOST)
  return()
endif()

set(_pkg ${CMAKE_CURRENT_LIST_DIR})
set(_pkg_out ${CMAKE_BINARY_DIR}/packaging)

# The ABI major the plugin speaks, from the header the plugin is built with.
file(STRINGS ${PROJECT_SOURCE_DIR}/abi/ccdr/abi.h _abi_line REGEX "^#define CCDR_ABI_VERSION_MAJOR [0-9]+")
string(REGEX REPLACE "^#define CCDR_ABI_VERSION_MAJOR ([0-9]+).*" "\\1" CCDR_ABI_MAJOR "${_abi_line}")
if(NOT CCDR_ABI_MAJOR MATCHES "^[0-9]+$")
  message(FATAL_ERROR "packaging: cannot read CCDR_ABI_VERSION_MAJOR from abi/ccdr/abi.h")
endif()

# The changelog's newest entry must name the version being packaged.
file(STRINGS ${_pkg}/changelog _top LIMIT_COUNT 1)
if(NOT _top MATCHES "^ccdr \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog begins with '${_top}' but the project version is "
                      "${PROJECT_VERSION}: add a changelog entry for ${PROJECT_VERSION}")
endif()

# Compressed documents, made at configure time (gzip -n: reproducible).
set(_man_pages refhost/refhost.1 refhost/ccdr-shell.1 refhost/ccdr-make-home.1 refhost/ccdr-lag-plot.1
               plugin/ccdr-gen-certs.1)
list(TRANSFORM _man_pages PREPEND ${_pkg}/ OUTPUT_VARIABLE _man_sources)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_pkg}/changelog ${_man_sources})
file(MAKE_DIRECTORY ${_pkg_out})
set(_gzipped "changelog:changelog.gz")
foreach(page ${_man_pages})
  get_filename_component(_name ${page} NAME)
  list(APPEND _gzipped "${page}:${_name}.gz")
endforeach()
foreach(pair ${_gzipped})
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 _from)
  list(GET pair 1 _to)
  execute_process(COMMAND gzip -9 -n -c ${_pkg}/${_from} OUTPUT_FILE ${_pkg_out}/${_to}
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "packaging: gzip of ${_from} failed")
  endif()
endforeach()

# --- ccdr-plugin ---------------------------------------------------------
# libccdr.so itself is installed by plugin/CMakeLists.txt (lib/ccdr/plugins).
foreach(doc copyright)
  install(FILES ${_pkg}/${doc} DESTINATION share/doc/ccdr-plugin COMPONENT plugin)
endforeach()
install(FILES ${_pkg_out}/changelog.gz DESTINATION share/doc/ccdr-plugin COMPONENT plugin)
# The monitoring examples (docs/monitoring.md), as documents (the lag
# picture is the program ccdr-lag-plot of ccdr-refhost).
set(_mon ${PROJECT_SOURCE_DIR}/examples/monitoring)
install(FILES ${_mon}/prometheus/ccdr-rules.yml ${_mon}/prometheus/ccdr-rules.test.yml
              ${_mon}/grafana/ccdr-dashboard.json
        DESTINATION share/doc/ccdr-plugin/examples/monitoring COMPONENT plugin)
# The certificates of the cluster SSL policy, which the plugin replicates
# over, whatever the host.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/examples/dr/gen-certs.sh DESTINATION bin RENAME ccdr-gen-certs COMPONENT plugin)
install(FILES ${_pkg_out}/ccdr-gen-certs.1.gz DESTINATION share/man/man1 COMPONENT plugin)

# --- ccdr-refhost --------------------------------------------------------
# refhost and ccdr-shell are installed by examples/refhost/*.cmake (bin).
install(FILES ${_pkg}/refhost/ccdr-refhost.service DESTINATION /lib/systemd/system COMPONENT refhost)
install(FILES ${_pkg}/refhost/neo4j.conf DESTINATION /etc/ccdr COMPONENT refhost)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/examples/dr/make-home.sh DESTINATION bin RENAME ccdr-make-home COMPONENT refhost)
install(PROGRAMS ${_mon}/lag-plot.sh DESTINATION bin RENAME ccdr-lag-plot COMPONENT refhost)
install(FILES ${_pkg_out}/refhost.1.gz ${_pkg_out}/ccdr-shell.1.gz ${_pkg_out}/ccdr-make-home.1.gz
              ${_pkg_out}/ccdr-lag-plot.1.gz
        DESTINATION share/man/man1 COMPONENT refhost)
install(FILES ${_pkg}/copyright ${_pkg_out}/changelog.gz ${_pkg}/refhost/README.Debian
        DESTINATION share/doc/ccdr-refhost COMPONENT refhost)

# --- CPack ---------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ccdr)
set(CPACK_PACKAGE_VENDOR "ccdr")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL plugin refhost)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ccdr developers <ccdr@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_PLUGIN_PACKAGE_NAME ccdr-plugin)
set(CPACK_DEBIAN_PLUGIN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PLUGIN_PACKAGE_PROVIDES "ccdr-abi-${CCDR_ABI_MAJOR}")
set(CPACK_DEBIAN_PLUGIN_PACKAGE_ENHANCES "ccdr-refhost")
set(CPACK_DEBIAN_PLUGIN_PACKAGE_RECOMMENDS "openssl")  # ccdr-gen-certs
set(CPACK_COMPONENT_PLUGIN_DESCRIPTION
    "cross-cluster database replication plugin for graph databases\n\
libccdr.so copies a database of one cluster into a read-only replica\n\
database of another cluster, over mutually authenticated TLS, with LZ4\n\
compression, checksums and resumable store copies. A host database loads it\n\
through the ccdr C ABI (major version ${CCDR_ABI_MAJOR}) from\n\
/usr/lib/ccdr/plugins. The package also holds ccdr-gen-certs, which makes\n\
the certificates of clusters that trust each other.")

set(CPACK_DEBIAN_REFHOST_PACKAGE_NAME ccdr-refhost)
set(CPACK_DEBIAN_REFHOST_PACKAGE_SECTION database)
set(CPACK_DEBIAN_REFHOST_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_REFHOST_PACKAGE_RECOMMENDS "sqlite3")  # ccdr-lag-plot maps server names with it
set(CPACK_DEBIAN_REFHOST_PACKAGE_SUGGESTS "ccdr-plugin, gnuplot-nox")  # gnuplot: ccdr-lag-plot
set(CPACK_DEBIAN_REFHOST_PACKAGE_CONTROL_EXTRA
    "${_pkg}/refhost/conffiles;${_pkg}/refhost/postinst;${_pkg}/refhost/prerm;${_pkg}/refhost/postrm")
set(CPACK_COMPONENT_REFHOST_DESCRIPTION
    "Neo4j-compatible reference host for the ccdr replication plugin\n\
refhost is a small Neo4j-compatible graph database server (Bolt 5, a Cypher\n\
subset, SQLite storage with a transaction log, several logical servers per\n\
process) that loads ccdr plugins from /usr/lib/ccdr/plugins. The package\n\
also holds ccdr-shell, a cypher-shell work-alike, and the systemd unit\n\
ccdr-refhost.service, which runs refhost as user ccdr with HOME\n\
/var/lib/ccdr; it is not started until the operator enables it. The tools\n\
ccdr-make-home (a home for a cluster of several servers) and ccdr-lag-plot\n\
(a replica's lag as a picture) come with it.")

# scripts/package.sh builds exactly what the packages hold; cpack must not
# build the whole test suite first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

include(CPack)
