# Copies libsodium.a to OUTPUT with every global symbol that libargon2.a also
# defines renamed to pwsvc_sodium_NAME, so both archives link into one binary.
# Run with cmake -P and -DNM, -DOBJCOPY, -DSODIUM, -DARGON2, -DOUTPUT.
cmake_minimum_required(VERSION 3.25)

function(defined_symbols archive result)
  execute_process(COMMAND ${NM} -g --defined-only -P ${archive}
    OUTPUT_VARIABLE listing ERROR_QUIET COMMAND_ERROR_IS_FATAL ANY)
  string(REGEX MATCHALL "(^|\n)[A-Za-z_][A-Za-z0-9_.]* [A-TV-Za-z]" entries "${listing}")
  set(names "")
  foreach(entry IN LISTS entries)
    string(REGEX REPLACE "^\n?([^ ]+) .*$" "\\1" name "${entry}")
    list(APPEND names ${name})
  endforeach()
  list(REMOVE_DUPLICATES names)
  set(${result} ${names} PARENT_SCOPE)
endfunction()

defined_symbols(${SODIUM} sodium_symbols)
defined_symbols(${ARGON2} argon2_symbols)

set(renames "")
foreach(name IN LISTS argon2_symbols)
  if(name IN_LIST sodium_symbols)
    string(APPEND renames "${name} pwsvc_sodium_${name}\n")
  endif()
endforeach()
if(renames STREQUAL "")
  message(FATAL_ERROR "no symbol of ${ARGON2} is defined in ${SODIUM}; check the nm output")
endif()

file(WRITE ${OUTPUT}.renames "${renames}")
execute_process(COMMAND ${OBJCOPY} --redefine-syms=${OUTPUT}.renames ${SODIUM} ${OUTPUT}
  COMMAND_ERROR_IS_FATAL ANY)
