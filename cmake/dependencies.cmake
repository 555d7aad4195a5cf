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
find_package(ZLIB REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
pkg_check_modules(APRUTIL REQUIRED IMPORTED_TARGET apr-util-1)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
