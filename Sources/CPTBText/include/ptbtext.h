#ifndef PTBTEXT_H
#define PTBTEXT_H
#include <stddef.h>

/// Offset of the first ASCII-case-insensitive occurrence of `needle` in `hay`, or -1.
/// `needle` must already be lowercase. NUL bytes are ordinary bytes.
long ptb_find_nocase(const unsigned char *hay, size_t hay_len, const unsigned char *needle, size_t needle_len);

/// Training-loss points in text that says "step N … loss X" (N, then "loss" within 80 bytes on
/// the same line, separators ` :="'\\` allowed): writes up to `cap` pairs, returns how many.
size_t ptb_scan_loss(const unsigned char *buf, size_t len, long *steps, double *losses, size_t cap);

#endif
