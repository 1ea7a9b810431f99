# cmake -DIN=file -DOUT=file.c -DNAME=sym -P embed_file.cmake: the bytes of IN as a C
# array NAME with NAME_size, for images uniemu carries (the vDSO).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* Generated from ${IN}. */\n#include <stddef.h>\nconst unsigned char ${NAME}[] = {\n${body}\n};\nconst size_t ${NAME}_size = ${size};\n")
