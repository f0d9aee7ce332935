# Run by CTest (test_layering): each probe is a one-line file that includes one header, passed
# through the compiler with exactly the usage requirements a layer's library gives the code that
# links it (include directories and definitions, transitively, as the build sees them; see
# tests/CMakeLists.txt). Only the preprocessor runs: finding the headers is where a layer's
# visibility is decided, and it is a fraction of a second where a full parse takes seconds.
# A header of the same or a lower layer, with everything it includes, must be found; one of a
# higher layer must be refused as not found. The probes that pass show the refusals come from the
# layering, not from a broken setup.
#
# SETUP (written by tests/CMakeLists.txt) sets CXX, CXX_FLAGS (the language standard),
# IMPLICIT_INCLUDES (the compiler's own directories, left out as CMake leaves them out), ENGINE_DIR,
# WORK_DIR, and q8_<layer>_includes and q8_<layer>_definitions.
cmake_minimum_required(VERSION 3.25)
include(${SETUP})
file(MAKE_DIRECTORY ${WORK_DIR})
set(failures "")

function(probe layer header expect)
  file(GLOB_RECURSE found ${ENGINE_DIR}/*/${header})
  if(NOT found)
    set(failures "${failures}\n  ${header} is not in the engine any more: choose another probe" PARENT_SCOPE)
    return()
  endif()
  set(flags ${CXX_FLAGS})
  foreach(dir IN LISTS q8_${layer}_includes)
    if(NOT dir IN_LIST IMPLICIT_INCLUDES)
      list(APPEND flags -I${dir})
    endif()
  endforeach()
  foreach(def IN LISTS q8_${layer}_definitions)
    list(APPEND flags -D${def})
  endforeach()
  string(MAKE_C_IDENTIFIER "${layer}_${header}" stem)
  file(WRITE ${WORK_DIR}/${stem}.cpp "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} ${flags} -E -o ${WORK_DIR}/${stem}.i ${WORK_DIR}/${stem}.cpp
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(expect STREQUAL "FOUND" AND NOT rc EQUAL 0)
    set(failures "${failures}\n  q8_${layer} + ${header} should be found:\n${out}" PARENT_SCOPE)
  elseif(expect STREQUAL "REFUSED")
    # GCC: "header: No such file or directory"; Clang: "'header' file not found".
    string(REPLACE "." "\\." pattern "${header}")
    string(REGEX MATCH "${pattern}'?:? (No such file|file not found)" missing "${out}")
    if(rc EQUAL 0 OR NOT missing)
      set(failures "${failures}\n  q8_${layer} + ${header} should be refused as not found:\n${out}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

probe(core thread_pool.h FOUND)
probe(core gguf_reader.h REFUSED)
probe(core jinja_parser.h REFUSED)
probe(compute matmul.h FOUND)
probe(compute gguf_reader.h FOUND)
probe(compute inference_session.h REFUSED)
probe(runtime inference_session.h FOUND)
probe(runtime generator.h REFUSED)
# The app and the UI compile against the public API alone.
probe(api q8/engine.h FOUND)
probe(api generator.h REFUSED)
probe(api model.h REFUSED)
probe(api matmul.h REFUSED)
probe(api jinja_render.h REFUSED)

if(failures)
  message(FATAL_ERROR "layering probes failed:${failures}")
endif()
message(STATUS "layering probes passed")
