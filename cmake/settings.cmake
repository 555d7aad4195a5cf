# Shared compile settings: every pwsvc target links pwsvc_settings.
add_library(pwsvc_settings INTERFACE)
target_compile_options(pwsvc_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -fstack-protector-strong)
target_compile_definitions(pwsvc_settings INTERFACE
  PWSVC_VERSION="${PROJECT_VERSION}"
  $<$<CONFIG:Release>:_FORTIFY_SOURCE=2>)

set(PWSVC_SANITIZE "" CACHE STRING
  "Sanitizers to build with: address,undefined or thread (clang or gcc)")
if(PWSVC_SANITIZE)
  # -fno-sanitize-recover makes the first UBSan report abort the process, so
  # a test that triggers undefined behaviour fails instead of printing a line.
  target_compile_options(pwsvc_settings INTERFACE
    -fsanitize=${PWSVC_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(pwsvc_settings INTERFACE
    -fsanitize=${PWSVC_SANITIZE} -fno-sanitize-recover=all)
endif()
