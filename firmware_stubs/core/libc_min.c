/*
 * libc_min.c - the few C library functions GCC may emit calls to on its own (struct
 * copies / initialisers) in a -nostdlib build. Byte loops (memset: words where aligned),
 * bounded by their arguments.
 * This file is built with -fno-tree-loop-distribute-patterns (global CFLAGS) so GCC does
 * not turn these loops back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Copy n bytes (regions must not overlap). Returns dst. */
void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    size_t i;

    for (i = 0; i < n; i++) {
        d[i] = s[i];
    }
    return dst;
}

/* Copy n bytes, regions may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    size_t i;

    if (d < s) {
        for (i = 0; i < n; i++) {
            d[i] = s[i];
        }
    } else {
        for (i = n; i > 0u; i--) {
            d[i - 1u] = s[i - 1u];
        }
    }
    return dst;
}

/* A word that may alias any object (memset's word stores). */
typedef uint32_t __attribute__((may_alias)) libc_word_t;

/* Fill n bytes with (unsigned char)c: whole words from a word-aligned dst (struct
 * initialisers clear a few KiB per boot), then bytes. Returns dst. */
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    size_t i = 0;

    if (((uintptr_t)d & 3u) == 0u) {
        libc_word_t w = (uint32_t)(unsigned char)c * 0x01010101u;
        for (; n - i >= 4u; i += 4u) {
            *(libc_word_t *)(void *)&d[i] = w;
        }
    }
    for (; i < n; i++) {
        d[i] = (unsigned char)c;
    }
    return dst;
}

/* Compare n bytes. Returns <0, 0 or >0 like the C library. */
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    size_t i;

    for (i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return (int)x[i] - (int)y[i];
        }
    }
    return 0;
}
