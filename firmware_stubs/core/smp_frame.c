/*
 * smp_frame.c - SMP serial framing: line reassembly, base64, length prefix, CRC-16/XMODEM
 * (see smp_frame.h). No heap, no recursion; all state lives in smp_frame_rx_t.
 */
#include "smp_frame.h"

/* Line states of the receiver. */
#define L_START 0u /* at the start of a line */
#define L_DELIM 1u /* held 0x06 or 0x04, waiting for the second delimiter byte */
#define L_SMP   2u /* inside an SMP line, decoding */
#define L_SKIP  3u /* inside an SMP line that is being discarded */
#define L_TEXT  4u /* inside a console text line */

#define RAW_PER_LINE 93u /* raw bytes per full emitted line (124 base64 characters) */

/* See smp_frame.h. Bitwise CRC-16/XMODEM. Returns the updated CRC. */
uint16_t smp_crc16_xmodem(uint16_t crc, const uint8_t *data, size_t len)
{
    size_t i;
    unsigned bit;

    if (data == NULL) {
        return crc;
    }
    for (i = 0; i < len; i++) {
        crc = (uint16_t)(crc ^ (uint16_t)((uint16_t)data[i] << 8));
        for (bit = 0; bit < 8u; bit++) {
            if ((crc & 0x8000u) != 0u) {
                crc = (uint16_t)((crc << 1) ^ 0x1021u);
            } else {
                crc = (uint16_t)(crc << 1);
            }
        }
    }
    return crc;
}

static const char B64_ALPHABET[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define B64_PAD     64 /* value returned for '=' */
#define B64_INVALID 65 /* any other non-alphabet character */

/* Value of a base64 character (attacker-controlled), B64_PAD or B64_INVALID. */
static unsigned b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return (unsigned)(c - 'A');
    }
    if (c >= 'a' && c <= 'z') {
        return (unsigned)(c - 'a') + 26u;
    }
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0') + 52u;
    }
    if (c == '+') {
        return 62u;
    }
    if (c == '/') {
        return 63u;
    }
    if (c == '=') {
        return B64_PAD;
    }
    return B64_INVALID;
}

/*
 * Decode one quad of base64 characters into out[0..2].
 * Returns: 3, 2 or 1 (bytes decoded; 2 and 1 mean the quad was padded), or -1 on a bad
 * character or misplaced '='.
 */
static int b64_quad(const uint8_t q[4], uint8_t out[3])
{
    unsigned v[4];
    unsigned i;
    uint32_t bits;

    for (i = 0; i < 4u; i++) {
        v[i] = b64_value(q[i]);
        if (v[i] == B64_INVALID) {
            return -1;
        }
    }
    if (v[0] == B64_PAD || v[1] == B64_PAD || (v[2] == B64_PAD && v[3] != B64_PAD)) {
        return -1;
    }
    bits = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12);
    if (v[2] != B64_PAD) {
        bits |= (uint32_t)v[2] << 6;
    }
    if (v[3] != B64_PAD) {
        bits |= (uint32_t)v[3];
    }
    out[0] = (uint8_t)(bits >> 16);
    out[1] = (uint8_t)(bits >> 8);
    out[2] = (uint8_t)bits;
    if (v[2] == B64_PAD) {
        return 1;
    }
    if (v[3] == B64_PAD) {
        return 2;
    }
    return 3;
}

/* Encode 1..3 bytes as one quad (padded). */
static void b64_emit_quad(const uint8_t *in, size_t n, char out[4])
{
    uint32_t bits = (uint32_t)in[0] << 16;

    if (n > 1u) {
        bits |= (uint32_t)in[1] << 8;
    }
    if (n > 2u) {
        bits |= (uint32_t)in[2];
    }
    out[0] = B64_ALPHABET[(bits >> 18) & 0x3Fu];
    out[1] = B64_ALPHABET[(bits >> 12) & 0x3Fu];
    out[2] = (n > 1u) ? B64_ALPHABET[(bits >> 6) & 0x3Fu] : '=';
    out[3] = (n > 2u) ? B64_ALPHABET[bits & 0x3Fu] : '=';
}

/* See smp_frame.h. Returns the number of characters or -1. */
int smp_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need;
    size_t i;
    size_t o = 0;

    if ((in == NULL && len > 0u) || (out == NULL && cap > 0u)) {
        return -1;
    }
    if (len > 0x3FFFFFFFu) {
        return -1; /* keeps the size arithmetic and the int result in range */
    }
    need = ((len + 2u) / 3u) * 4u;
    if (need > cap) {
        return -1;
    }
    for (i = 0; i < len; i += 3u) {
        size_t n = (len - i < 3u) ? (len - i) : 3u;
        b64_emit_quad(&in[i], n, &out[o]);
        o += 4u;
    }
    return (int)o;
}

/* See smp_frame.h. Returns the number of bytes or -1. */
int smp_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t i;
    size_t o = 0;
    uint8_t tmp[3];
    int n;

    if ((in == NULL && len > 0u) || (out == NULL && cap > 0u)) {
        return -1;
    }
    if ((len & 3u) != 0u || len > 0x3FFFFFFFu) {
        return -1;
    }
    for (i = 0; i < len; i += 4u) {
        n = b64_quad((const uint8_t *)&in[i], tmp);
        if (n < 0 || (n < 3 && i + 4u != len)) {
            return -1; /* bad quad, or padding before the last quad */
        }
        if (cap - o < (size_t)n) {
            return -1;
        }
        out[o++] = tmp[0];
        if (n > 1) {
            out[o++] = tmp[1];
        }
        if (n > 2) {
            out[o++] = tmp[2];
        }
    }
    return (int)o;
}

/* See smp_frame.h. No return value. */
void smp_frame_rx_init(smp_frame_rx_t *rx)
{
    if (rx == NULL) {
        return;
    }
    rx->msg_len = 0;
    rx->line = L_START;
    rx->in_frame = 0;
    rx->held = 0;
    rx->qlen = 0;
    rx->padded = 0;
    rx->lenb0 = 0;
    rx->crc = 0;
    rx->count = 0;
    rx->expect = 0;
    rx->stored = 0;
    rx->frames = 0;
    rx->errors = 0;
}

/* Drop the current frame. `at_eol`: the byte that failed ended the line. Returns `code`. */
static int rx_fail(smp_frame_rx_t *rx, int code, int at_eol)
{
    rx->in_frame = 0;
    rx->errors++;
    rx->line = at_eol ? L_START : L_SKIP;
    if (code != SMP_RX_ERR_CRC && code != SMP_RX_ERR_TOO_LARGE) {
        rx->msg_len = 0;
    }
    return code;
}

/* Add one decoded byte to the frame. Returns SMP_RX_MORE or an SMP_RX_ERR_* code. */
static int rx_push(smp_frame_rx_t *rx, uint8_t b)
{
    if (rx->count < 2u) {
        if (rx->count == 0u) {
            rx->lenb0 = b;
        } else {
            /* attacker-controlled declared length: message + CRC */
            uint32_t flen = ((uint32_t)rx->lenb0 << 8) | b;
            if (flen < 2u) {
                return SMP_RX_ERR_LENGTH;
            }
            rx->expect = 2u + flen;
        }
        rx->count++;
        return SMP_RX_MORE;
    }
    if (rx->count >= rx->expect) {
        return SMP_RX_ERR_OVERRUN;
    }
    rx->crc = smp_crc16_xmodem(rx->crc, &b, 1);
    if (rx->stored < sizeof rx->buf) {
        rx->buf[rx->stored++] = b;
    }
    rx->count++;
    return SMP_RX_MORE;
}

/* The current SMP line ended. Returns SMP_RX_MORE, SMP_RX_FRAME or SMP_RX_ERR_*. */
static int rx_end_line(smp_frame_rx_t *rx)
{
    uint32_t mlen;

    rx->line = L_START;
    if (rx->qlen != 0u) {
        return rx_fail(rx, SMP_RX_ERR_BASE64, 1);
    }
    if (rx->count < 2u || rx->count < rx->expect) {
        return SMP_RX_MORE; /* wait for continuation lines */
    }
    /* count == expect: the frame is complete */
    rx->in_frame = 0;
    mlen = rx->expect - 4u; /* expect >= 4 (declared length >= 2) */
    rx->msg_len = (mlen < rx->stored) ? mlen : rx->stored;
    if (rx->crc != 0u) { /* CRC over message || CRC_be is 0 when they match */
        return rx_fail(rx, SMP_RX_ERR_CRC, 1);
    }
    if (rx->expect - 2u > sizeof rx->buf) {
        return rx_fail(rx, SMP_RX_ERR_TOO_LARGE, 1);
    }
    rx->frames++;
    return SMP_RX_FRAME;
}

/* Start a new frame (a start line began). */
static void rx_begin(smp_frame_rx_t *rx)
{
    if (rx->in_frame) {
        rx->errors++; /* the previous frame was never completed */
    }
    rx->in_frame = 1;
    rx->msg_len = 0;
    rx->crc = 0;
    rx->count = 0;
    rx->expect = 0;
    rx->stored = 0;
}

/* One character of an SMP line (not '\n' / '\r'). Returns SMP_RX_MORE or SMP_RX_ERR_*. */
static int rx_char(smp_frame_rx_t *rx, uint8_t c)
{
    uint8_t out[3];
    int n;
    int i;
    int rc;

    if (rx->padded) {
        return rx_fail(rx, SMP_RX_ERR_BASE64, 0); /* data after '=' padding in this line */
    }
    rx->quad[rx->qlen++] = c;
    if (rx->qlen < 4u) {
        return SMP_RX_MORE;
    }
    rx->qlen = 0;
    n = b64_quad(rx->quad, out);
    if (n < 0) {
        return rx_fail(rx, SMP_RX_ERR_BASE64, 0);
    }
    if (n < 3) {
        rx->padded = 1;
    }
    for (i = 0; i < n; i++) {
        rc = rx_push(rx, out[i]);
        if (rc != SMP_RX_MORE) {
            return rx_fail(rx, rc, 0);
        }
    }
    return SMP_RX_MORE;
}

/* See smp_frame.h. Returns SMP_RX_MORE / SMP_RX_TEXT / SMP_RX_FRAME / SMP_RX_ERR_*. */
int smp_frame_rx_feed(smp_frame_rx_t *rx, int byte)
{
    uint8_t b;

    if (rx == NULL || byte < 0 || byte > 0xFF) {
        return SMP_RX_MORE;
    }
    b = (uint8_t)byte; /* attacker-controlled */
    switch (rx->line) {
    case L_START:
        if (b == SMP_DELIM_START_0 || b == SMP_DELIM_CONT_0) {
            rx->held = b; /* held back until the next byte decides */
            rx->line = L_DELIM;
            return SMP_RX_MORE;
        }
        rx->line = (b == '\n') ? L_START : L_TEXT;
        return SMP_RX_TEXT;
    case L_DELIM:
        if (rx->held == SMP_DELIM_START_0 && b == SMP_DELIM_START_1) {
            rx_begin(rx);
            rx->qlen = 0;
            rx->padded = 0;
            rx->line = L_SMP;
            return SMP_RX_MORE;
        }
        if (rx->held == SMP_DELIM_CONT_0 && b == SMP_DELIM_CONT_1) {
            if (!rx->in_frame) {
                rx->errors++;
                rx->msg_len = 0;
                rx->line = L_SKIP;
                return SMP_RX_ERR_ORPHAN;
            }
            rx->qlen = 0;
            rx->padded = 0;
            rx->line = L_SMP;
            return SMP_RX_MORE;
        }
        rx->line = (b == '\n') ? L_START : L_TEXT;
        return SMP_RX_TEXT;
    case L_SMP:
        if (b == '\r') {
            return SMP_RX_MORE;
        }
        if (b == '\n') {
            return rx_end_line(rx);
        }
        return rx_char(rx, b);
    case L_SKIP:
        if (b == '\n') {
            rx->line = L_START;
        }
        return SMP_RX_MORE;
    default: /* L_TEXT */
        if (b == '\n') {
            rx->line = L_START;
        }
        return SMP_RX_TEXT;
    }
}

/* Byte `i` of the virtual frame: length prefix, message, CRC. */
static uint8_t frame_byte(const uint8_t *msg, size_t len, uint16_t crc, size_t i)
{
    size_t flen = len + 2u;

    if (i == 0u) {
        return (uint8_t)(flen >> 8);
    }
    if (i == 1u) {
        return (uint8_t)flen;
    }
    if (i < 2u + len) {
        return msg[i - 2u];
    }
    return (i == 2u + len) ? (uint8_t)(crc >> 8) : (uint8_t)crc;
}

/* See smp_frame.h. Returns the number of lines emitted, or -1. */
int smp_frame_encode(const uint8_t *msg, size_t len, smp_frame_emit_fn emit, void *ctx)
{
    uint8_t line[SMP_FRAME_LINE_MAX];
    uint8_t raw[3];
    size_t total;
    size_t i = 0;
    size_t n;
    size_t end;
    size_t k;
    uint16_t crc;
    int lines = 0;

    if (emit == NULL || (msg == NULL && len > 0u) || len > SMP_MSG_MAX) {
        return -1;
    }
    crc = smp_crc16_xmodem(0, msg, len);
    total = len + 4u;
    while (i < total) {
        n = 0;
        line[n++] = (lines == 0) ? SMP_DELIM_START_0 : SMP_DELIM_CONT_0;
        line[n++] = (lines == 0) ? SMP_DELIM_START_1 : SMP_DELIM_CONT_1;
        end = (total - i > RAW_PER_LINE) ? (i + RAW_PER_LINE) : total;
        while (i < end) {
            size_t take = (end - i < 3u) ? (end - i) : 3u;
            for (k = 0; k < take; k++) {
                raw[k] = frame_byte(msg, len, crc, i + k);
            }
            b64_emit_quad(raw, take, (char *)&line[n]);
            n += 4u;
            i += take;
        }
        line[n++] = '\n'; /* n <= 2 + 124 + 1 = SMP_FRAME_LINE_MAX */
        emit(ctx, line, n);
        lines++;
    }
    return lines;
}
