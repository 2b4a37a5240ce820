# nvmxtop, the live view (cli/nvmxtop.c, cli/top_*.c). Included from cli/CMakeLists.txt.
# nvmxtop_view: the data, text and display layers, without any source, so that bench/ can drive
# them with synthetic data; nvmxtop adds the sources (a running nvmxd's JSON API, capture replay,
# standalone BPF through nvmxd_core).
pkg_check_modules(NCURSES REQUIRED IMPORTED_TARGET ncurses)

add_library(nvmxtop_view STATIC top_data.c top_fmt.c top_out.c top_tui.c top_run.c)
target_include_directories(nvmxtop_view PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}
					       ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(nvmxtop_view PUBLIC nvmx_core PkgConfig::NCURSES PkgConfig::JSONC)

add_executable(nvmxtop nvmxtop.c top_src_replay.c top_src_bpf.c top_src_nvmxd.c http_get.c)
target_link_libraries(nvmxtop PRIVATE nvmxtop_view nvmxd_core PkgConfig::LZMA)
install(TARGETS nvmxtop RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# bench/top_render.c: the display's CPU cost with synthetic data (bench/top_render.sh runs it;
# results in docs/perf.md). A benchmark, not a test, and not installed.
add_executable(top_render ${PROJECT_SOURCE_DIR}/bench/top_render.c)
target_link_libraries(top_render PRIVATE nvmxtop_view)
