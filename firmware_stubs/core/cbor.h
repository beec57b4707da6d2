/*
 * cbor.h - minimal bounded CBOR (RFC 8949) encoder and decoder for the SMP server.
 *
 * Decoder: a cursor over a caller-owned buffer. Every length and count read from the input is
 * attacker-controlled; each is checked against the bytes that remain before it is used, so no
 * read ever leaves [buf, buf + len). No recursion: nested items are skipped with a fixed-depth
 * explicit stack (CBOR_MAX_DEPTH). Supported on input: unsigned/negative integers (any width),
 * byte and text strings (definite length; indefinite ones can only be skipped), arrays and maps
 * (definite or indefinite length), tags (skipped), false/true/null/undefined, simple values and
 * half/single/double floats (only skipped). Reserved additional-info values (28..30) and a stray
 * "break" are errors.
 *
 * Encoder: definite lengths only, shortest argument encoding (canonical heads), bounded by the
 * writer's capacity; the first write that does not fit sets a sticky overflow flag.
 */
#ifndef OTA_CORE_CBOR_H
#define OTA_CORE_CBOR_H

#include <stddef.h>
#include <stdint.h>

#define CBOR_MAX_DEPTH 8u /* nesting levels cbor_skip() follows (deeper input is an error) */

/* Return codes (negative = error). */
#define CBOR_OK             0
#define CBOR_ERR_ARG       (-1) /* NULL pointer */
#define CBOR_ERR_EOF       (-2) /* the item runs past the end of the buffer */
#define CBOR_ERR_SYNTAX    (-3) /* reserved additional info, stray break, bad indefinite item */
#define CBOR_ERR_TYPE      (-4) /* the item is not of the requested type */
#define CBOR_ERR_RANGE     (-5) /* a number does not fit the requested C type */
#define CBOR_ERR_DEPTH     (-6) /* nesting deeper than CBOR_MAX_DEPTH */
#define CBOR_ERR_OVERFLOW  (-7) /* encoder: the output buffer is full */

/* Major types (the top 3 bits of an initial byte), plus CBOR_T_SIMPLE for major type 7. */
typedef enum {
    CBOR_T_UINT = 0,
    CBOR_T_NINT = 1,
    CBOR_T_BYTES = 2,
    CBOR_T_TEXT = 3,
    CBOR_T_ARRAY = 4,
    CBOR_T_MAP = 5,
    CBOR_T_TAG = 6,
    CBOR_T_SIMPLE = 7, /* false/true/null/undefined, simple values, floats, break */
} cbor_type_t;

#define CBOR_SIMPLE_FALSE 20u
#define CBOR_SIMPLE_TRUE  21u
#define CBOR_SIMPLE_NULL  22u
#define CBOR_SIMPLE_UNDEF 23u

/* One decoded item head. */
typedef struct {
    cbor_type_t type;
    int indefinite;     /* 1 for an indefinite-length string/array/map (arg is then 0) */
    uint64_t arg;       /* uint value; NINT: -1 - arg; string length; array/map count; tag;
                           simple value (20..23, or 24..255); float bits */
    const uint8_t *ptr; /* BYTES/TEXT (definite): the string bytes inside the buffer */
} cbor_item_t;

typedef struct {
    const uint8_t *buf; /* attacker-controlled bytes */
    size_t len;
    size_t pos;
} cbor_reader_t;

/*
 * cbor_reader_init - start reading `len` bytes at `buf` (buf may be NULL only if len is 0).
 * Returns: CBOR_OK, or CBOR_ERR_ARG (r NULL, or buf NULL with len > 0).
 */
int cbor_reader_init(cbor_reader_t *r, const uint8_t *buf, size_t len);

/*
 * cbor_read_head - read the head of the next item and step over it. For a definite byte/text
 * string the cursor also steps over the string bytes (it->ptr points at them, it->arg is the
 * length, and the whole string is inside the buffer). For arrays/maps/tags only the head is
 * consumed: the caller reads (or cbor_skip()s) the contained items next. A "break" (0xFF) is
 * reported as CBOR_ERR_SYNTAX; cbor_read_break() consumes one explicitly.
 * Returns: CBOR_OK (it filled), CBOR_ERR_ARG, CBOR_ERR_EOF or CBOR_ERR_SYNTAX. On error the
 * cursor is unchanged.
 */
int cbor_read_head(cbor_reader_t *r, cbor_item_t *it);

/*
 * cbor_read_break - if the next byte is a "break" (0xFF, end of an indefinite-length item),
 * consume it.
 * Returns: 1 if a break was consumed, 0 if the next byte is something else, CBOR_ERR_EOF at the
 * end of the buffer, CBOR_ERR_ARG for NULL.
 */
int cbor_read_break(cbor_reader_t *r);

/*
 * cbor_skip - step over one complete data item, including everything nested in it
 * (iteratively, at most CBOR_MAX_DEPTH open arrays/maps/indefinite strings/tags at once).
 * Returns: CBOR_OK, or CBOR_ERR_ARG / CBOR_ERR_EOF / CBOR_ERR_SYNTAX / CBOR_ERR_DEPTH (the
 * cursor is then unspecified but still inside the buffer; stop decoding).
 */
int cbor_skip(cbor_reader_t *r);

/*
 * Typed readers: read one item that must be of the given type.
 * cbor_read_u32: an unsigned integer <= UINT32_MAX.
 * cbor_read_u64: any unsigned integer.
 * cbor_read_i64: an unsigned or negative integer within int64_t.
 * cbor_read_bool: false or true (*out = 0 or 1).
 * cbor_read_bytes / cbor_read_text: a definite-length string; *ptr points into the buffer and
 *   *len is its length (text is NOT NUL-terminated and its UTF-8 is not validated).
 * Returns: CBOR_OK; CBOR_ERR_TYPE (another type; the cursor is unchanged), CBOR_ERR_RANGE
 *   (does not fit; cursor unchanged), or a cbor_read_head() error.
 */
int cbor_read_u32(cbor_reader_t *r, uint32_t *out);
int cbor_read_u64(cbor_reader_t *r, uint64_t *out);
int cbor_read_i64(cbor_reader_t *r, int64_t *out);
int cbor_read_bool(cbor_reader_t *r, int *out);
int cbor_read_bytes(cbor_reader_t *r, const uint8_t **ptr, size_t *len);
int cbor_read_text(cbor_reader_t *r, const uint8_t **ptr, size_t *len);

/*
 * cbor_text_eq - compare a decoded text string (ptr, len) with NUL-terminated `s`.
 * Returns: 1 if equal, 0 otherwise (also 0 for NULL s).
 */
int cbor_text_eq(const uint8_t *ptr, size_t len, const char *s);

/* ---- encoder ---- */

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow; /* sticky: a write did not fit (len stays at the last complete item) */
} cbor_writer_t;

/*
 * cbor_writer_init - write into `cap` bytes at `buf`.
 * Returns: CBOR_OK, or CBOR_ERR_ARG (w NULL, or buf NULL with cap > 0).
 */
int cbor_writer_init(cbor_writer_t *w, uint8_t *buf, size_t cap);

/*
 * Writers: append one item (arrays/maps: only the head with the item/pair count; the caller
 * then writes that many items / key-value pairs). cbor_put_text_z writes a NUL-terminated
 * string (at most `max` bytes are looked at; no NUL among them is CBOR_ERR_RANGE, so the
 * text is at most max - 1 characters).
 * Returns: CBOR_OK, CBOR_ERR_OVERFLOW (nothing of this item was written; w->overflow set, and
 *   every later call also fails), CBOR_ERR_ARG (NULL data with len > 0), CBOR_ERR_RANGE.
 */
int cbor_put_uint(cbor_writer_t *w, uint64_t v);
int cbor_put_int(cbor_writer_t *w, int64_t v);
int cbor_put_bytes(cbor_writer_t *w, const uint8_t *data, size_t len);
int cbor_put_text(cbor_writer_t *w, const char *text, size_t len);
int cbor_put_text_z(cbor_writer_t *w, const char *text, size_t max);
int cbor_put_bool(cbor_writer_t *w, int v);
int cbor_put_array(cbor_writer_t *w, uint64_t count);
int cbor_put_map(cbor_writer_t *w, uint64_t pairs);

#endif /* OTA_CORE_CBOR_H */
