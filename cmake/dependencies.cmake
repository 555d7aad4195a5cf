# Third-party libraries, all from Debian 12 packages (see README.md for the list).
find_package(PkgConfig REQUIRED)
find_package(tl-expected REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
# Static OpenSSL and Boost.JSON save about a millisecond of dynamic linking
# at every start of the CLI, measured with hyperfine on `pwsvc --version`.
set(OPENSSL_USE_STATIC_LIBS TRUE)
set(Boost_USE_STATIC_LIBS ON)
find_package(OpenSSL REQUIRED COMPONENTS Crypto SSL)
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(Threads REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
pkg_check_modules(APRUTIL REQUIRED IMPORTED_TARGET apr-util-1)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

# Every shared library costs each start of the CLI time in the dynamic loader,
# so the small C libraries are linked from their static archives. libsodium
# stays shared: its archive defines the same Argon2 internals as libargon2's,
# while the shared library exports only its public API.
function(pwsvc_static_archive target archive)
  find_library(${target}_ARCHIVE NAMES ${archive} REQUIRED)
  add_library(pwsvc_static::${target} STATIC IMPORTED)
  set_target_properties(pwsvc_static::${target} PROPERTIES
    IMPORTED_LOCATION ${${target}_ARCHIVE}
    INTERFACE_LINK_LIBRARIES "${ARGN}")
endfunction()

pwsvc_static_archive(argon2 libargon2.a Threads::Threads)
pwsvc_static_archive(xcrypt libcrypt.a)
pwsvc_static_archive(uuid libuuid.a)
pwsvc_static_archive(expat libexpat.a)
pwsvc_static_archive(apr libapr-1.a pwsvc_static::uuid pwsvc_static::xcrypt Threads::Threads
  ${CMAKE_DL_LIBS})
pwsvc_static_archive(aprutil libaprutil-1.a pwsvc_static::apr pwsvc_static::expat)
pwsvc_static_archive(utf8proc libutf8proc.a)

# Debian builds libzxcvbn.a without -fPIC, so it cannot go into a position-
# independent executable: those link the shared library, and only a target
# marked PWSVC_STATIC_LINK (the fully static Lambda bootstrap) takes the archive.
find_library(ZXCVBN_ARCHIVE NAMES libzxcvbn.a REQUIRED)
find_library(ZXCVBN_SHARED NAMES libzxcvbn.so REQUIRED)
add_library(pwsvc_zxcvbn INTERFACE)
target_link_libraries(pwsvc_zxcvbn INTERFACE
  "$<IF:$<BOOL:$<TARGET_PROPERTY:PWSVC_STATIC_LINK>>,${ZXCVBN_ARCHIVE},${ZXCVBN_SHARED}>" m)
target_include_directories(pwsvc_static::argon2 INTERFACE ${ARGON2_INCLUDE_DIRS})
target_include_directories(pwsvc_static::xcrypt INTERFACE ${XCRYPT_INCLUDE_DIRS})
target_include_directories(pwsvc_static::aprutil INTERFACE ${APRUTIL_INCLUDE_DIRS})
set(ZLIB_USE_STATIC_LIBS ON)
find_package(ZLIB REQUIRED)

# toml++ is read only by the config library; compiled in from its headers it
# adds no shared library to load.
add_library(pwsvc_toml INTERFACE)
get_target_property(pwsvc_toml_includes tomlplusplus::tomlplusplus INTERFACE_INCLUDE_DIRECTORIES)
target_include_directories(pwsvc_toml SYSTEM INTERFACE ${pwsvc_toml_includes})
target_compile_definitions(pwsvc_toml INTERFACE TOML_HEADER_ONLY=1)
