# `cmake --install` puts headers, libraries and a package config in place so a
# user's project can `find_package(retort)` and link `retort::retort`.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/retort DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS retort retort_core retort_orm retort_migrate retort_app EXPORT retortTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT retortTargets NAMESPACE retort:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/retort)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/retortConfig.cmake.in
  ${PROJECT_BINARY_DIR}/retortConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/retort)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/retortConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/retortConfig.cmake ${PROJECT_BINARY_DIR}/retortConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/retort)
