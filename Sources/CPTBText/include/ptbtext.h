#ifndef PTBTEXT_H
#define PTBTEXT_H
#include <stddef.h>

/// Offset of the first ASCII-case-insensitive occurrence of `needle` in `hay`, or -1.
/// `needle` must already be lowercase. NUL bytes are ordinary bytes.
long ptb_find_nocase(const unsigned char *hay, size_t hay_len, const unsigned char *needle, size_t needle_len);

#endif
