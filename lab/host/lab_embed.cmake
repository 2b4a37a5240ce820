# Writes the file IN as a C array NAME (with NAME_len) into OUT: cmake -DIN= -DOUT= -DNAME= -P.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n\t" bytes "${bytes}")
file(WRITE ${OUT} "/* Generated from ${IN} by lab/host/lab_embed.cmake: do not edit. */\n"
	"extern const char ${NAME}[];\nextern const unsigned long ${NAME}_len;\n"
	"const char ${NAME}[] = {\n\t${bytes}0x00\n};\n"
	"const unsigned long ${NAME}_len = ${len};\n")
