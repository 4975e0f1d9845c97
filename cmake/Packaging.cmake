# SPDX-License-Identifier: Apache-2.0
# make install, and the Debian packages (make package): hydra (stripped) and
# hydra-dbgsym (its debug symbols, by build id).
include(GNUInstallDirs)

set(HYDRA_MAINTAINER "hydra maintainers <maintainers@hydra-sandbox.org>"
    CACHE STRING "Maintainer of the Debian package (Name <address>)")

# Man pages from --help (help2man), and the changelog, compressed the way
# Debian wants them (gzip -9n: reproducible).
find_program(HELP2MAN help2man)
find_program(GZIP gzip REQUIRED)
set(doc_out ${CMAKE_BINARY_DIR}/doc)
set(generated_docs ${doc_out}/changelog.gz)
add_custom_command(OUTPUT ${doc_out}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${doc_out}
  COMMAND ${GZIP} -9n -c ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${doc_out}/changelog.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog)
if(HELP2MAN)
  set(man_name_hydrad "keep docker0 and its containers on the network, run one dockerd per session")
  set(man_name_hydractl "inspect and drive hydrad")
  foreach(prog hydrad hydractl)
    add_custom_command(OUTPUT ${doc_out}/${prog}.1.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${doc_out}
      COMMAND ${HELP2MAN} --no-info --section=1 --name=${man_name_${prog}} --output=${doc_out}/${prog}.1
              $<TARGET_FILE:${prog}>
      COMMAND ${GZIP} -9nf ${doc_out}/${prog}.1
      DEPENDS ${prog})
    list(APPEND generated_docs ${doc_out}/${prog}.1.gz)
    install(FILES ${doc_out}/${prog}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endforeach()
else()
  message(STATUS "help2man not found: no man pages (make deps installs it)")
endif()
# hydra.toml(5) from the config key table itself (hydrad --config-manual).
add_custom_command(OUTPUT ${doc_out}/hydra.toml.5.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${doc_out}
  COMMAND $<TARGET_FILE:hydrad> --config-manual > ${doc_out}/hydra.toml.5
  COMMAND ${GZIP} -9nf ${doc_out}/hydra.toml.5
  DEPENDS hydrad)
list(APPEND generated_docs ${doc_out}/hydra.toml.5.gz)
install(FILES ${doc_out}/hydra.toml.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
add_custom_target(docs ALL DEPENDS ${generated_docs})

install(TARGETS hydrad hydractl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES deploy/systemd/hydrad.service DESTINATION lib/systemd/system)
install(FILES deploy/hydra.toml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/hydra)
install(FILES deploy/completion/hydractl.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME hydractl)
install(FILES deploy/completion/_hydractl DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
# Prometheus alert rules and a Grafana dashboard, for operators to load.
install(FILES deploy/monitoring/hydra-alerts.yaml deploy/monitoring/hydra-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hydra/monitoring)
install(FILES README.md BENCHMARKS.md deploy/debian/copyright ${doc_out}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The reference the README links to, at the same relative place.
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hydra)
set(CPACK_PACKAGE_VENDOR "The hydra authors")
set(CPACK_PACKAGE_CONTACT "${HYDRA_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${HYDRA_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "docker0 guard and per-session dockerds for Linux sandboxes")
# The synopsis is the summary above; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "hydrad runs one Docker daemon per user session, each on a bridge of its own,
bridges a desktop container into a session's network, and keeps the
sandbox's main bridge (docker0) and every container on it on the network:
it prevents the known ways a session dockerd deletes docker0, and when a
protected bridge disappears anyway it puts it back within about a
millisecond, with the same name, MAC, MTU, addresses, options and ports.
.
Its API is the docker-instances API of Hydra's client; hydractl inspects
and drives it.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser: the hydra group; init-system-helpers: deb-systemd-helper/-invoke.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.50)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io, dnsmasq-base")
# Stripped binaries; their debug info in hydra-dbgsym under
# /usr/lib/debug/.build-id, where gdb and systemd-coredump look. (CPack
# splits and strips them itself: CPACK_STRIP_FILES would strip first and
# leave nothing to split.)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
