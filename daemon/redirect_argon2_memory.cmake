# Copies the libsodium archive INPUT to OUTPUT with its Argon2 core object
# (argon2-core.o) calling pwsvc_argon2_mmap and pwsvc_argon2_munmap instead of
# mmap and munmap. No other object changes, so sodium_malloc and the rest of
# libsodium keep mapping memory themselves.
# Run with cmake -P and -DAR, -DNM, -DOBJCOPY, -DINPUT, -DOUTPUT.
cmake_minimum_required(VERSION 3.25)

function(undefined_symbols object result)
  execute_process(COMMAND ${NM} -u -P ${object}
    OUTPUT_VARIABLE listing COMMAND_ERROR_IS_FATAL ANY)
  string(REGEX MATCHALL "(^|\n)[A-Za-z_][A-Za-z0-9_.@]*" entries "${listing}")
  list(TRANSFORM entries STRIP)
  set(${result} ${entries} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${AR} t ${INPUT} OUTPUT_VARIABLE listing COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCHALL "[^\n]*argon2-core\\.o" members "${listing}")
list(LENGTH members count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one argon2-core.o member in ${INPUT}, found ${count}: "
    "${members}; check `ar t` on that archive")
endif()

set(work ${OUTPUT}.work)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
execute_process(COMMAND ${AR} x ${INPUT} ${members}
  WORKING_DIRECTORY ${work} COMMAND_ERROR_IS_FATAL ANY)
set(object ${work}/${members})

# A libsodium whose Argon2 core maps its memory some other way would silently
# bypass the cache, so the build stops instead.
undefined_symbols(${object} before)
foreach(name mmap munmap)
  if(NOT name IN_LIST before)
    message(FATAL_ERROR "${members} in ${INPUT} does not call ${name}; "
      "configure with -DPWSVC_ARGON2_MEMORY_CACHE=OFF to link libsodium unchanged")
  endif()
endforeach()

execute_process(COMMAND ${OBJCOPY}
  --redefine-sym mmap=pwsvc_argon2_mmap --redefine-sym munmap=pwsvc_argon2_munmap ${object}
  COMMAND_ERROR_IS_FATAL ANY)
undefined_symbols(${object} after)
if(mmap IN_LIST after OR munmap IN_LIST after OR NOT pwsvc_argon2_mmap IN_LIST after)
  message(FATAL_ERROR "objcopy did not redirect mmap and munmap in ${object}")
endif()

file(COPY_FILE ${INPUT} ${OUTPUT})
execute_process(COMMAND ${AR} rs ${OUTPUT} ${object} COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE_RECURSE ${work})
