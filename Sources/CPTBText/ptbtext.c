#include "ptbtext.h"
#include <string.h>

static inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }

long ptb_find_nocase(const unsigned char *hay, size_t hay_len, const unsigned char *needle, size_t needle_len) {
    if (needle_len == 0) return 0;
    if (needle_len > hay_len) return -1;
    unsigned char first = needle[0];
    unsigned char upper = (first >= 'a' && first <= 'z') ? (unsigned char)(first & ~0x20) : first;
    const unsigned char *end = hay + (hay_len - needle_len) + 1;   /* candidates lie in [hay, end) */
    /* The next occurrence of each case of the first byte, found with memchr (memory speed) and
       kept until passed, so a rare case is not rescanned for every candidate of the other. */
    const unsigned char *a = memchr(hay, first, (size_t)(end - hay));
    const unsigned char *b = upper != first ? memchr(hay, upper, (size_t)(end - hay)) : NULL;
    while (a || b) {
        const unsigned char *p = a && b ? (a < b ? a : b) : (a ? a : b);
        size_t k = 1;
        while (k < needle_len && lower(p[k]) == needle[k]) k++;
        if (k == needle_len) return (long)(p - hay);
        if (p == a) a = (a + 1 < end) ? memchr(a + 1, first, (size_t)(end - a - 1)) : NULL;
        else b = (b + 1 < end) ? memchr(b + 1, upper, (size_t)(end - b - 1)) : NULL;
    }
    return -1;
}
