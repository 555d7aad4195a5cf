# The Debian package of pwsvc, made by `cpack -G DEB` or `make package`.
#
# The package holds what a plain install places (pwsvc, pwsvcd and the manual
# pages) plus the files below, which only a system package places: the example
# configuration, the systemd units and the Debian changelog. They are in the
# component `debian`, which `cmake --install` leaves out unless given
# `--component debian`, so a plain install never overwrites
# /etc/pwsvc/pwsvc.toml.
set(PWSVC_DEBIAN_DIR ${CMAKE_SOURCE_DIR}/packaging/debian)

# The shipped file has every setting commented out, so mode 0644 exposes
# nothing until postinst hands it to group pwsvc with mode 0640.
install(FILES ${PWSVC_DEBIAN_DIR}/pwsvc.toml
  DESTINATION /etc/pwsvc
  COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES
  ${CMAKE_SOURCE_DIR}/packaging/systemd/pwsvcd.service
  ${CMAKE_SOURCE_DIR}/packaging/systemd/pwsvcd.socket
  DESTINATION /lib/systemd/system
  COMPONENT debian EXCLUDE_FROM_ALL)

# A version without a Debian revision makes a native package, whose changelog
# Debian policy places at /usr/share/doc/PACKAGE/changelog.gz. The changelog's
# newest entry must name the version being packaged.
file(STRINGS ${PWSVC_DEBIAN_DIR}/changelog pwsvc_changelog_head LIMIT_COUNT 1)
if(NOT pwsvc_changelog_head MATCHES "^pwsvc \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/debian/changelog starts with '${pwsvc_changelog_head}', "
    "but the project version is ${PROJECT_VERSION}. Add a changelog entry for "
    "${PROJECT_VERSION} at the top of that file.")
endif()

find_program(GZIP gzip REQUIRED)
set(pwsvc_changelog_gz ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${pwsvc_changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/packaging
  COMMAND sh -c "'${GZIP}' -9nc '${PWSVC_DEBIAN_DIR}/changelog' > '${pwsvc_changelog_gz}'"
  DEPENDS ${PWSVC_DEBIAN_DIR}/changelog
  VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${pwsvc_changelog_gz})
install(FILES ${pwsvc_changelog_gz}
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/pwsvc
  COMPONENT debian EXCLUDE_FROM_ALL)

if(BUILD_TESTING)
  add_test(NAME debian_example_config
    COMMAND ${PWSVC_DEBIAN_DIR}/check-example-config.sh $<TARGET_FILE:pwsvc>
      ${PWSVC_DEBIAN_DIR}/pwsvc.toml ${CMAKE_SOURCE_DIR}/man/pwsvc.toml.5)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pwsvc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(PWSVC_DEBIAN_MAINTAINER
  "Seed d6e73a05 maintainers <maintainers@users.noreply.r-seed-d6e73a05.example>"
  CACHE STRING "Maintainer field of the Debian package: NAME <EMAIL>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${PWSVC_DEBIAN_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "password hashing tool and daemon")
set(CPACK_PACKAGE_DESCRIPTION
  "pwsvc hashes new passwords with Argon2id, scrypt, bcrypt or PBKDF2 and
verifies stored hashes from every mainstream format: Argon2, bcrypt, scrypt,
yescrypt, sha-crypt, md5crypt, Apache apr1, PBKDF2 in the passlib, Django and
Werkzeug formats, and LDAP {SHA} and {SSHA}. It checks the cost of each stored
hash against configured limits before any key derivation.
.
This package contains the pwsvc command-line tool and the pwsvcd daemon,
which serves the same operations over HTTP on a Unix socket and TCP, with
systemd units that run it as the pwsvc user.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)

# dpkg-shlibdeps (from dpkg-dev) finds the library packages of the binaries.
# It cannot see that postinst runs adduser, so that one is listed here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PWSVC_DEBIAN_DIR}/conffiles
  ${PWSVC_DEBIAN_DIR}/postinst
  ${PWSVC_DEBIAN_DIR}/prerm
  ${PWSVC_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Only the default component and `debian` go in the package, so an install
# rule for the Lambda bootstrap must name a component of its own to stay out.
set(CPACK_INSTALL_CMAKE_PROJECTS
  "${CMAKE_BINARY_DIR};${PROJECT_NAME};Unspecified;/"
  "${CMAKE_BINARY_DIR};${PROJECT_NAME};debian;/")

include(CPack)
