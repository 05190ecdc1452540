# ';', '[' and ']' would split or join CMake list elements: text compared
# line by line has them replaced by placeholders, on every side compared.
function(escape_list_chars var)
  set(text "${${var}}")
  string(REPLACE ";" "<semicolon>" text "${text}")
  string(REPLACE "[" "<lbracket>" text "${text}")
  string(REPLACE "]" "<rbracket>" text "${text}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

# A file's lines as a CMake list (escaped as above).
function(read_lines path out)
  file(READ ${path} text)
  escape_list_chars(text)
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
