/*
 * smp_frame.h - MCUmgr SMP serial ("SMP over console") framing, shared with console text.
 *
 * Wire format (as the `smp` Python package's smp.packet.encode/decode and Zephyr's console
 * transport): a frame is
 *
 *     base64( u16_be(len(message) + 2) || message || u16_be(CRC-16/XMODEM(message)) )
 *
 * split into lines. The first line starts with the bytes 0x06 0x09, every continuation line
 * with 0x04 0x14; each line ends with '\n'. Each line's base64 text is decoded on its own
 * (its length is a multiple of 4; '=' padding may only end a line). Lines that start with
 * anything else are console text (e.g. our "EV ..." evidence lines and console commands) and
 * are handed back to the caller byte by byte.
 *
 * CRC-16/XMODEM: poly 0x1021, init 0x0000, no reflection, xorout 0 (crcmod "xmodem", the one
 * smp.packet uses); check("123456789") = 0x31C3.
 *
 * Receive side: smp_frame_rx_feed() takes one byte at a time and decodes base64 on the fly into
 * a fixed buffer (no line buffer). Every byte on the wire is attacker-controlled.
 * Send side: smp_frame_encode() emits lines of at most SMP_FRAME_LINE_MAX bytes.
 */
#ifndef OTA_CORE_SMP_FRAME_H
#define OTA_CORE_SMP_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Decoded reassembly buffer: 2-byte length + message + 2-byte CRC (MCUmgr's buf_size). */
#define SMP_FRAME_BUF_SIZE 1024u
/* Largest SMP message (8-byte header + CBOR) that fits: SMP_FRAME_BUF_SIZE - 4. */
#define SMP_MSG_MAX (SMP_FRAME_BUF_SIZE - 4u)
/* Emitted lines: delimiter (2) + base64 (<= 124) + '\n' = at most 127 bytes. */
#define SMP_FRAME_LINE_MAX 127u
#define SMP_FRAME_LINE_B64 124u /* base64 characters per full line = 93 raw bytes */

#define SMP_DELIM_START_0 0x06u
#define SMP_DELIM_START_1 0x09u
#define SMP_DELIM_CONT_0  0x04u
#define SMP_DELIM_CONT_1  0x14u

/* smp_frame_rx_feed() results. */
#define SMP_RX_MORE           0   /* byte consumed (SMP line or delimiter), nothing complete */
#define SMP_RX_TEXT           1   /* byte belongs to a console text line: pass it on */
#define SMP_RX_FRAME          2   /* a complete frame with a good CRC: rx->buf[0..msg_len) */
#define SMP_RX_ERR_BASE64    (-1) /* bad base64 character / padding / line not a multiple of 4 */
#define SMP_RX_ERR_CRC       (-2) /* frame complete but the CRC does not match */
#define SMP_RX_ERR_TOO_LARGE (-3) /* declared length exceeds the buffer (CRC was good) */
#define SMP_RX_ERR_LENGTH    (-4) /* declared length < 2 (no room for the CRC) */
#define SMP_RX_ERR_OVERRUN   (-5) /* more data than the declared length */
#define SMP_RX_ERR_ORPHAN    (-6) /* continuation line with no frame in progress */
/*
 * After any SMP_RX_ERR_* the frame is dropped and the rest of its line ignored; the reader is
 * ready for the next start line. After SMP_RX_ERR_CRC / SMP_RX_ERR_TOO_LARGE, rx->buf holds
 * the first rx->msg_len bytes of the (untrusted) message, so a caller may read its SMP header
 * to answer with an error; otherwise rx->msg_len is 0.
 */

typedef struct {
    uint8_t buf[SMP_FRAME_BUF_SIZE - 2u]; /* message + CRC; the length prefix is not stored */
    size_t msg_len;   /* valid after SMP_RX_FRAME (and the two errors above) */
    /* private state */
    uint8_t line;     /* line state (see smp_frame.c) */
    uint8_t in_frame; /* a start line was seen and the frame is not complete */
    uint8_t held;     /* first delimiter byte held back at the start of a line */
    uint8_t quad[4];  /* base64 characters of the current quad */
    uint8_t qlen;
    uint8_t padded;   /* this line ended its data with '=' padding */
    uint8_t lenb0;    /* first byte of the length prefix */
    uint16_t crc;     /* CRC-16/XMODEM over everything after the length prefix */
    uint32_t count;   /* decoded bytes of the frame so far, length prefix included */
    uint32_t expect;  /* 2 + declared length once known (attacker-controlled), else 0 */
    uint32_t stored;  /* bytes stored in buf (<= sizeof buf) */
    uint32_t frames;  /* statistics: good frames */
    uint32_t errors;  /* statistics: dropped frames (any SMP_RX_ERR_*, or a frame cut short by
                         a new start line) */
} smp_frame_rx_t;

/*
 * smp_crc16_xmodem - continue a CRC-16/XMODEM over `len` bytes (start with crc = 0).
 * `data` may be NULL only if len is 0. Returns: the updated CRC (never fails).
 */
uint16_t smp_crc16_xmodem(uint16_t crc, const uint8_t *data, size_t len);

/*
 * smp_b64_encode - standard base64 (RFC 4648, '+' '/', '=' padding) of `len` bytes into `out`
 * (capacity `cap`; no NUL is written).
 * Returns: the number of characters (4 * ceil(len / 3)), or -1 if it does not fit or an
 * argument is NULL (with len/cap > 0).
 */
int smp_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/*
 * smp_b64_decode - decode `len` base64 characters (a multiple of 4; '=' only in the last quad)
 * into `out` (capacity `cap`). `in` is attacker-controlled.
 * Returns: the number of bytes, or -1 on a syntax error, if it does not fit, or NULL arguments.
 */
int smp_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* smp_frame_rx_init - reset the reader (between lines, no frame). No return value. */
void smp_frame_rx_init(smp_frame_rx_t *rx);

/*
 * smp_frame_rx_feed - push one received byte (0..255; negative values are ignored).
 * Returns: SMP_RX_TEXT, SMP_RX_MORE, SMP_RX_FRAME or an SMP_RX_ERR_* code (see above).
 * Notes: a line is console text unless it starts with 0x06 0x09 or 0x04 0x14. The first byte
 * of a line that is 0x06 or 0x04 is held back (SMP_RX_MORE) until the second byte decides; if
 * that turns out to be text, the held byte (a control character, which the console ignores
 * anyway) is dropped and the second byte is returned as SMP_RX_TEXT. '\r' inside SMP lines
 * is ignored. A start line while a frame is incomplete drops that frame (counted in errors).
 */
int smp_frame_rx_feed(smp_frame_rx_t *rx, int byte);

/* Line sink for smp_frame_encode(): one complete line (delimiter ... '\n'), len <= 127. */
typedef void (*smp_frame_emit_fn)(void *ctx, const uint8_t *line, size_t len);

/*
 * smp_frame_encode - frame `msg` (len <= SMP_MSG_MAX) and emit it as lines of at most
 * SMP_FRAME_LINE_MAX bytes (SMP_FRAME_LINE_B64 base64 characters per full line).
 * Returns: the number of lines emitted (>= 1), or -1 (NULL emit, NULL msg with len > 0, or
 * len > SMP_MSG_MAX).
 */
int smp_frame_encode(const uint8_t *msg, size_t len, smp_frame_emit_fn emit, void *ctx);

#endif /* OTA_CORE_SMP_FRAME_H */
