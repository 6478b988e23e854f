# The Debian package, built by CPack: `cpack -G DEB` in a build directory, the `package`
# target, or scripts/package (a Release build with Debian's hardening flags).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "kpipe maintainers <maintainers@users.noreply.r-seed-e185047f.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "pipe JSON events between the shell and Apache Kafka")
# The extended description; CPack indents each line and turns empty ones into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "kpipe is a command-line client for Apache Kafka, local or cloud-hosted
(Confluent Cloud, AWS MSK, Azure Event Hubs, Aiven), for shell one-liners,
CI scripts and debugging topics by hand:

 * produce: JSON lines from files or stdin into a topic, every record
   acknowledged or reported;
 * consume: records out as lossless JSON lines, with offsets, time ranges,
   consumer groups and jq filters; produce takes the lines back exactly;
 * tail: follow topics live;
 * replay: recorded or past records back into a topic, as they were, at
   their own pace or faster;
 * topics: list, describe, create, delete, alter;
 * lag: consumer-group lag in records and time, with thresholds for CI.

Man pages and bash, zsh and fish completions are included.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # kpipe_VERSION-RELEASE_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends: from the libraries the binary links (dpkg-shlibdeps)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_KPIPE_COPYRIGHT_FILE ${CMAKE_CURRENT_LIST_DIR}/copyright)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb-staging.cmake)
include(CPack)
