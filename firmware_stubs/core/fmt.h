/*
 * fmt.h - tiny bounded number formatting and parsing (no stdio, no heap).
 *
 * All writers put a NUL-terminated string into `out` (capacity `cap` bytes including the
 * NUL) and return the number of characters written (excluding the NUL), or -1 if the
 * text does not fit (then `out` holds an empty string when cap > 0) or an argument is NULL.
 */
#ifndef OTA_CORE_FMT_H
#define OTA_CORE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest text any writer below produces ("0x" + 8 hex digits, or 10 decimal digits). */
#define FMT_U32_MAX_CHARS 10u

/*
 * fmt_u32_dec - decimal, no leading zeros ("0" for zero).
 * Returns: characters written, or -1 (does not fit / NULL out).
 */
int fmt_u32_dec(char *out, size_t cap, uint32_t v);

/*
 * fmt_u32_hex - "0x" + lowercase hex digits. `min_digits` (0..8) pads with leading zeros;
 * 0 or 1 gives the shortest form ("0x0", "0x8000000").
 * Returns: characters written, or -1 (does not fit / NULL out / min_digits > 8).
 */
int fmt_u32_hex(char *out, size_t cap, uint32_t v, unsigned min_digits);

/*
 * fmt_parse_hex32 - parse exactly `len` characters of `s` as an unsigned 32-bit hex number,
 * with an optional "0x"/"0X" prefix, 1..8 digits, upper or lower case, nothing else.
 * Returns: 0 and *out set on success; -1 on any syntax error, overflow or NULL argument
 * (*out untouched).
 */
int fmt_parse_hex32(const char *s, size_t len, uint32_t *out);

/*
 * fmt_strlen_bounded - length of NUL-terminated `s`, looking at most `max` characters.
 * Returns: the length, or `max` if no NUL was found within `max` characters (0 for NULL).
 */
size_t fmt_strlen_bounded(const char *s, size_t max);

/*
 * fmt_streq - compare NUL-terminated `a` with exactly `blen` characters of `b`.
 * Returns: 1 if equal, 0 otherwise (also 0 if either is NULL).
 */
int fmt_streq(const char *a, const char *b, size_t blen);

#endif /* OTA_CORE_FMT_H */
