#include <stdlib.h>
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

static int ptb_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static int ptb_sep(int c) { return c == ' ' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '\\' || c == '['; }

size_t ptb_scan_loss(const unsigned char *b, size_t n, long *steps, double *losses, size_t cap) {
    size_t found = 0, i = 0;
    while (i + 4 <= n && found < cap) {
        long off = ptb_find_nocase(b + i, n - i, (const unsigned char *)"step", 4);
        if (off < 0) break;
        size_t q = i + (size_t)off + 4;
        i = q;
        while (q < n && ptb_sep(b[q])) q++;
        if (q >= n || b[q] < '0' || b[q] > '9') continue;
        long step = 0;
        while (q < n && b[q] >= '0' && b[q] <= '9' && step < 1000000000L) { step = step * 10 + (b[q] - '0'); q++; }
        size_t end = q + 80 < n ? q + 80 : n, r = q;
        long at = -1;
        for (; r + 4 <= end && b[r] != '\n'; r++) {
            if (ptb_lower(b[r]) == 'l' && ptb_lower(b[r + 1]) == 'o' && ptb_lower(b[r + 2]) == 's' && ptb_lower(b[r + 3]) == 's') { at = (long)r; break; }
        }
        if (at < 0) continue;
        r = (size_t)at + 4;
        while (r < n && ptb_sep(b[r])) r++;
        char tmp[33];
        size_t k = 0;
        while (r < n && k < 32 && ((b[r] >= '0' && b[r] <= '9') || b[r] == '.' || b[r] == 'e' || b[r] == 'E' || b[r] == '-' || b[r] == '+')) tmp[k++] = (char)b[r++];
        tmp[k] = 0;
        if (k == 0) continue;
        char *endp;
        double v = strtod(tmp, &endp);
        if (endp == tmp || v != v) continue;
        steps[found] = step;
        losses[found] = v;
        found++;
        i = r;
    }
    return found;
}
