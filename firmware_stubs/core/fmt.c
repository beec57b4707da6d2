/*
 * fmt.c - bounded number formatting helpers (see fmt.h).
 */
#include "fmt.h"

static const char fmt_hex_digits[16] = {
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

/* See fmt.h. Returns characters written or -1. */
int fmt_u32_dec(char *out, size_t cap, uint32_t v)
{
    char tmp[FMT_U32_MAX_CHARS];
    size_t n = 0;
    size_t i;

    if (out == NULL) {
        return -1;
    }
    do {
        tmp[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u && n < sizeof(tmp));
    if (n + 1u > cap) {
        if (cap > 0u) {
            out[0] = '\0';
        }
        return -1;
    }
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1u - i];
    }
    out[n] = '\0';
    return (int)n;
}

/* See fmt.h. Returns characters written or -1. */
int fmt_u32_hex(char *out, size_t cap, uint32_t v, unsigned min_digits)
{
    size_t digits = 1;
    size_t i;

    if (out == NULL || min_digits > 8u) {
        return -1;
    }
    while (digits < 8u && (v >> (4u * digits)) != 0u) {
        digits++;
    }
    if (digits < min_digits) {
        digits = min_digits;
    }
    if (digits + 3u > cap) { /* "0x" + digits + NUL */
        if (cap > 0u) {
            out[0] = '\0';
        }
        return -1;
    }
    out[0] = '0';
    out[1] = 'x';
    for (i = 0; i < digits; i++) {
        out[2u + i] = fmt_hex_digits[(v >> (4u * (digits - 1u - i))) & 0xFu];
    }
    out[2u + digits] = '\0';
    return (int)(digits + 2u);
}

/* See fmt.h. Returns 0 on success, -1 on error. */
int fmt_parse_hex32(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    size_t ndig;

    if (s == NULL || out == NULL) {
        return -1;
    }
    if (len >= 2u && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        i = 2;
    }
    ndig = len - i;
    if (ndig == 0u || ndig > 8u) {
        return -1;
    }
    for (; i < len; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (uint32_t)(c - 'a') + 10u;
        } else if (c >= 'A' && c <= 'F') {
            d = (uint32_t)(c - 'A') + 10u;
        } else {
            return -1;
        }
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

/* See fmt.h. Returns the bounded length. */
size_t fmt_strlen_bounded(const char *s, size_t max)
{
    size_t n = 0;

    if (s == NULL) {
        return 0;
    }
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

/* See fmt.h. Returns 1 if equal, else 0. */
int fmt_streq(const char *a, const char *b, size_t blen)
{
    size_t i;

    if (a == NULL || b == NULL) {
        return 0;
    }
    for (i = 0; i < blen; i++) {
        if (a[i] != b[i] || a[i] == '\0') {
            return 0;
        }
    }
    return a[blen] == '\0';
}
