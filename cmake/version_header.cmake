# Writes common/version.hpp (from common/version.hpp.in) with the git
# revision of the source tree as it is when the build runs, not when it was
# configured, so that output files name the code that wrote them; "-dirty"
# when tracked files differ from that revision. Run at every build
# (CMakeLists.txt, target trustprop_version); configure_file rewrites the
# header only when its text changes, so an unchanged tree recompiles nothing.
#   cmake -DSOURCE_DIR=... -DOUTPUT=... -DPROJECT_VERSION=... -P cmake/version_header.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE TRUSTPROP_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT TRUSTPROP_GIT_REVISION)
  set(TRUSTPROP_GIT_REVISION unknown)
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes)
    string(APPEND TRUSTPROP_GIT_REVISION "-dirty")
  endif()
endif()
configure_file(${SOURCE_DIR}/common/version.hpp.in ${OUTPUT} @ONLY)
