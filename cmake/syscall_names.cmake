# Writes OUT: a C table of every x86-64 syscall name, from the kernel's headers, so that
# the log can name calls uniemu does not implement.
file(STRINGS ${UNISTD_H} nr_lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+")
set(names_c "static const char *const syscall_names[] = {\n")
foreach(l ${nr_lines})
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+).*" "  [\\2] = \"\\1\",\n" row "${l}")
  string(APPEND names_c "${row}")
endforeach()
string(APPEND names_c "};\n")
file(WRITE ${OUT} "${names_c}")
