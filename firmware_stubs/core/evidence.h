/*
 * evidence.h - evidence lines per docs/contracts.md §3:
 *
 *     EV <seq> <src> <NAME> [<key>=<value> ...] #<crc>\r\n
 *
 * seq: decimal < 2^32; src: boot | app | rescue; NAME: [A-Z][A-Z0-9_]{0,31};
 * key: [a-z][a-z0-9_]{0,15}, unique in the line; value: [A-Za-z0-9_.:+-]{1,40};
 * crc: CRC-32/ISO-HDLC of every byte before " #", 8 lowercase hex digits;
 * at most 255 bytes per line excluding "\r\n".
 *
 * Two layers:
 *  - ev_format(): a pure formatter (also built for the host as libotacore.so for cross-checks);
 *  - ev_init()/ev_emit(): the device-side emitter with the seq counter and a byte sink.
 * Nothing here allocates; all buffers are fixed-size and every write is bounds-checked.
 * A key or value that breaks the rules is refused, never truncated or escaped.
 */
#ifndef OTA_CORE_EVIDENCE_H
#define OTA_CORE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#define EV_MAX_LINE    255u               /* bytes of a line excluding "\r\n" */
#define EV_LINE_BUF    (EV_MAX_LINE + 3u) /* line + "\r\n" + NUL */
#define EV_MAX_FIELDS  16u                /* key=value pairs per line */
#define EV_NAME_MAX    32u
#define EV_KEY_MAX     16u
#define EV_VALUE_MAX   40u
#define EV_FIELD_STORE 192u               /* ev_fields_t scratch for formatted numbers */

/* Return codes (negative = error). */
#define EV_OK            0
#define EV_ERR_ARG      (-1) /* NULL pointer where a string/array is required */
#define EV_ERR_SRC      (-2) /* src is not boot | app | rescue */
#define EV_ERR_NAME     (-3) /* NAME breaks [A-Z][A-Z0-9_]{0,31} */
#define EV_ERR_KEY      (-4) /* a key breaks [a-z][a-z0-9_]{0,15} */
#define EV_ERR_VALUE    (-5) /* a value breaks [A-Za-z0-9_.:+-]{1,40} */
#define EV_ERR_DUPKEY   (-6) /* the same key twice in one line */
#define EV_ERR_TOO_LONG (-7) /* the line would exceed EV_MAX_LINE bytes before "\r\n" */
#define EV_ERR_CAP      (-8) /* the output buffer is too small for line + "\r\n" + NUL */
#define EV_ERR_FIELDS   (-9) /* more than EV_MAX_FIELDS pairs, or ev_fields_t scratch full */
#define EV_ERR_NOINIT   (-10) /* ev_emit() before ev_init() */

/*
 * ev_format - format one complete evidence line into `out`.
 *   out/cap: destination and its size in bytes; on success it holds the line including the
 *            trailing "\r\n" and a terminating NUL (so cap >= length + 1 is needed;
 *            EV_LINE_BUF always suffices).
 *   seq, src, name: header fields. keys[i]=values[i] for i < n (n may be 0; keys/values may be
 *            NULL only when n == 0).
 * Returns: the line length in bytes INCLUDING "\r\n" (excluding the NUL) on success, or a
 *   negative EV_ERR_* code; on error `out` holds an empty string when cap > 0.
 */
int ev_format(char *out, size_t cap, uint32_t seq, const char *src, const char *name,
              const char *const *keys, const char *const *values, size_t n);

/* Sink for finished lines (e.g. the console UART writer). Must not call back into ev_*. */
typedef void (*ev_sink_fn)(const char *data, size_t len);

/*
 * ev_init - set the emitter's source ("boot" | "app" | "rescue"), the seq of the next event
 * and the sink. `src` must be a string that stays valid (a literal).
 * Returns: EV_OK, EV_ERR_ARG (NULL sink/src) or EV_ERR_SRC (bad src); on error the emitter
 *   stays uninitialised (ev_emit returns EV_ERR_NOINIT).
 */
int ev_init(const char *src, uint32_t first_seq, ev_sink_fn sink);

/*
 * ev_next_seq - the seq the next successfully emitted event will carry.
 * Returns: that value (0 before ev_init).
 */
uint32_t ev_next_seq(void);

/* A small builder for one line's fields: string values by reference, numbers formatted
 * into the builder's own fixed scratch. */
typedef struct {
    const char *keys[EV_MAX_FIELDS];
    const char *values[EV_MAX_FIELDS];
    char store[EV_FIELD_STORE];
    size_t n;
    size_t used;
    int err; /* first error hit while adding (EV_OK if none) */
} ev_fields_t;

/* ev_fields_init - empty the builder. Returns nothing; `f` must not be NULL. */
void ev_fields_init(ev_fields_t *f);
/*
 * ev_add_str / ev_add_u32 (decimal) / ev_add_hex (0x + lowercase, `min_digits` 0..8) -
 * append key=value. `key` and a string `value` must outlive the ev_emit() call (literals).
 * Returns: EV_OK, or EV_ERR_FIELDS when the builder is full (also latched in f->err, so a
 *   sequence of adds can be checked once by ev_emit()).
 */
int ev_add_str(ev_fields_t *f, const char *key, const char *value);
int ev_add_u32(ev_fields_t *f, const char *key, uint32_t value);
int ev_add_hex(ev_fields_t *f, const char *key, uint32_t value, unsigned min_digits);

/*
 * ev_emit - format NAME + fields (f may be NULL for no fields) with the current seq and send
 * the line to the sink; seq advances by one only when a line was sent.
 * On a formatting error a plain console text line "! evidence error <code>\r\n" (not an
 * evidence line) is sent instead, so the refusal is visible, and seq does not advance.
 * Returns: EV_OK, f->err if an add failed, EV_ERR_NOINIT, or the ev_format() error.
 */
int ev_emit(const char *name, const ev_fields_t *f);

/*
 * ev_emit_text - send a plain console text line `text` + "\r\n" through the sink (used
 * for human-readable lines such as "running build 1 from slot A"). The text is refused if
 * it starts with "EV " (it would look like evidence), contains a control character, or is
 * longer than EV_MAX_LINE.
 * Returns: EV_OK, EV_ERR_NOINIT, EV_ERR_ARG (NULL) or EV_ERR_VALUE (refused text).
 */
int ev_emit_text(const char *text);

#endif /* OTA_CORE_EVIDENCE_H */
