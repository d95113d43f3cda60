sub/z.c
