# Run at every build (lib/CMakeLists.txt, target nvmx_version_gen): writes OUT from IN with
# NVMX_VERSION_STRING = the project version and, in a git checkout of this tree,
# `git describe --always --dirty`. A tarball (no .git, or no git) gets the project version alone.
# configure_file rewrites OUT only when its text changes, so a build with nothing new relinks
# nothing.
set(desc "")
find_program(GIT git)
if(GIT)
	execute_process(COMMAND ${GIT} -C ${SRC} rev-parse --show-toplevel
			OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE
			RESULT_VARIABLE r ERROR_QUIET)
	# only this tree's own checkout: a tarball unpacked inside some other repository must not
	# take that repository's commit
	if(r EQUAL 0)
		file(REAL_PATH "${top}" top)
		file(REAL_PATH "${SRC}" src_real)
	endif()
	if(r EQUAL 0 AND top STREQUAL src_real)
		execute_process(COMMAND ${GIT} -C ${SRC} describe --always --dirty
				OUTPUT_VARIABLE desc OUTPUT_STRIP_TRAILING_WHITESPACE
				RESULT_VARIABLE r ERROR_QUIET)
		if(NOT r EQUAL 0)
			set(desc "")
		endif()
	endif()
endif()
if(desc)
	set(NVMX_VERSION_STRING "${VERSION} (git ${desc})")
else()
	set(NVMX_VERSION_STRING "${VERSION}")
endif()
configure_file(${IN} ${OUT} @ONLY)
