# Shared compile settings: every pwsvc target links pwsvc_settings.
add_library(pwsvc_settings INTERFACE)
target_compile_options(pwsvc_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -fstack-protector-strong)
target_compile_definitions(pwsvc_settings INTERFACE
  PWSVC_VERSION="${PROJECT_VERSION}"
  $<$<CONFIG:Release>:_FORTIFY_SOURCE=2>)

set(PWSVC_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
if(PWSVC_SANITIZE)
  target_compile_options(pwsvc_settings INTERFACE -fsanitize=${PWSVC_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(pwsvc_settings INTERFACE -fsanitize=${PWSVC_SANITIZE})
endif()
