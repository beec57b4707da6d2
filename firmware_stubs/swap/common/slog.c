/*
 * slog.c - plain-text console log (see slog.h). Portable: no device access here, lines go
 * to the sink given to slog_init.
 */
#include "slog.h"

static slog_style_t slog_style;
static slog_sink_fn slog_sink;
static void *slog_ctx;
static slog_clock_fn slog_clock;

void slog_init(slog_style_t style, slog_sink_fn sink, void *ctx, slog_clock_fn clock)
{
    slog_style = style;
    slog_sink = sink;
    slog_ctx = ctx;
    slog_clock = clock;
}

/* Append one character if there is room for it and the final NUL. */
static void put_ch(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1u < cap) {
        out[*n] = c;
        (*n)++;
    }
}

/* Append an unsigned number in base 10 or 16, left-padded to `width` with `pad`. */
static void put_num(char *out, size_t cap, size_t *n, uint32_t v, unsigned base, int upper,
                    unsigned width, char pad)
{
    char tmp[12];
    unsigned len = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    do {
        tmp[len++] = digits[v % base];
        v /= base;
    } while (v != 0u && len < sizeof(tmp));
    while (width > len) {
        put_ch(out, cap, n, pad);
        width--;
    }
    while (len > 0u) {
        put_ch(out, cap, n, tmp[--len]);
    }
}

size_t slog_vfmt(char *out, size_t cap, const char *fmt, va_list ap)
{
    size_t n = 0;
    const char *p;

    if (out == NULL || cap == 0u || fmt == NULL) {
        return 0;
    }
    for (p = fmt; *p != '\0'; p++) {
        char pad = ' ';
        unsigned width = 0;
        int left = 0;

        if (*p != '%') {
            put_ch(out, cap, &n, *p);
            continue;
        }
        p++;
        if (*p == '-') {
            left = 1;
            p++;
        } else if (*p == '0') {
            pad = '0';
            p++;
        }
        while (*p >= '1' && *p <= '9' && width < 10u) {
            width = width * 10u + (unsigned)(*p - '0');
            p++;
        }
        if (width > 9u) {
            width = 9u;
        }
        while (*p == 'l') {
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            unsigned len = 0;
            if (s == NULL) {
                s = "(null)";
            }
            while (s[len] != '\0') {
                len++;
            }
            while (!left && width > len) {
                put_ch(out, cap, &n, ' ');
                width--;
            }
            while (*s != '\0') {
                put_ch(out, cap, &n, *s++);
            }
            while (left && width > len) {
                put_ch(out, cap, &n, ' ');
                width--;
            }
            break;
        }
        case 'c':
            put_ch(out, cap, &n, (char)va_arg(ap, int));
            break;
        case 'd': {
            int32_t v = (int32_t)va_arg(ap, int);
            uint32_t mag = (uint32_t)v;
            if (v < 0) {
                put_ch(out, cap, &n, '-');
                mag = 0u - mag;
                width = width > 0u ? width - 1u : 0u;
            }
            put_num(out, cap, &n, mag, 10u, 0, width, pad);
            break;
        }
        case 'u':
            put_num(out, cap, &n, (uint32_t)va_arg(ap, unsigned), 10u, 0, width, pad);
            break;
        case 'x':
        case 'X':
            put_num(out, cap, &n, (uint32_t)va_arg(ap, unsigned), 16u, *p == 'X', width, pad);
            break;
        case '%':
            put_ch(out, cap, &n, '%');
            break;
        case '\0':
            p--; /* a lone '%' at the end: stop */
            break;
        default:
            put_ch(out, cap, &n, '?');
            break;
        }
    }
    out[n] = '\0';
    return n;
}

size_t slog_fmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = slog_vfmt(out, cap, fmt, ap);
    va_end(ap);
    return n;
}

void slog(slog_level_t level, const char *module, const char *fmt, ...)
{
    static const char letters[3] = {'I', 'W', 'E'};
    static const char *const names[3] = {"inf", "wrn", "err"};
    char line[SLOG_LINE_MAX];
    size_t n;
    va_list ap;

    if (slog_sink == NULL || (unsigned)level > 2u) {
        return;
    }
    if (slog_style == SLOG_STYLE_MCUBOOT) {
        n = slog_fmt(line, sizeof(line) - 2u, "%c: ", letters[level]);
    } else {
        uint32_t ms = slog_clock != NULL ? slog_clock() : 0u;
        uint32_t s = ms / 1000u;
        n = slog_fmt(line, sizeof(line) - 2u, "[%02u:%02u:%02u.%03u,000] <%s> %s: ",
                     (unsigned)(s / 3600u), (unsigned)(s / 60u % 60u), (unsigned)(s % 60u),
                     (unsigned)(ms % 1000u), names[level], module != NULL ? module : "");
    }
    va_start(ap, fmt);
    n += slog_vfmt(line + n, sizeof(line) - 2u - n, fmt, ap);
    va_end(ap);
    line[n++] = '\r';
    line[n++] = '\n';
    slog_sink(slog_ctx, line, n);
}

void slog_raw(const char *text, size_t len)
{
    if (slog_sink != NULL && text != NULL) {
        slog_sink(slog_ctx, text, len);
    }
}
