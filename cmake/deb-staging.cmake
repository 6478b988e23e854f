# CPack pre-build script for the Debian package: adjusts the staged tree to Debian's
# layout before it is packed.
#   - zsh on Debian reads /usr/share/zsh/vendor-completions, not .../site-functions;
#   - modes are Debian's whatever the builder's umask;
#   - /usr/share/doc/kpipe gets the copyright file and a Debian changelog (gzip -9n),
#     dated by SOURCE_DATE_EPOCH when set, so the package can be rebuilt bit for bit;
#   - a lintian override for the one tag that only concerns uploads to Debian.
set(root "${CPACK_TEMPORARY_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
set(zsh_from "${root}/share/zsh/site-functions")
if(EXISTS "${zsh_from}")
  file(MAKE_DIRECTORY "${root}/share/zsh/vendor-completions")
  file(RENAME "${zsh_from}/_kpipe" "${root}/share/zsh/vendor-completions/_kpipe")
  file(REMOVE_RECURSE "${zsh_from}")
endif()

set(doc "${root}/share/doc/${CPACK_PACKAGE_NAME}")
file(COPY_FILE "${CPACK_KPIPE_COPYRIGHT_FILE}" "${doc}/copyright")
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${doc}/changelog.Debian"
  "${CPACK_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}) unstable; urgency=medium\n\n"
  "  * kpipe ${CPACK_PACKAGE_VERSION}, packaged with CPack.\n\n"
  " -- ${CPACK_PACKAGE_CONTACT}  ${date}\n")
execute_process(COMMAND gzip -9nf "${doc}/changelog.Debian" COMMAND_ERROR_IS_FATAL ANY)
# This package is not uploaded to Debian, so it closes no ITP bug.
file(WRITE "${root}/share/lintian/overrides/${CPACK_PACKAGE_NAME}"
  "${CPACK_PACKAGE_NAME}: initial-upload-closes-no-bugs\n")
# Debian's modes (directories 0755, files 0644, programs 0755), whatever the umask of
# whoever builds the package.
file(GLOB_RECURSE staged LIST_DIRECTORIES true "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(path IN LISTS staged)
  if(IS_DIRECTORY "${path}" OR path MATCHES "/bin/[^/]+$")
    file(CHMOD "${path}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    file(CHMOD "${path}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
