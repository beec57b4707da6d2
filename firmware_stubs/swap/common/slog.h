/*
 * slog.h - plain-text console log of the swap target (docs/contract-swap.md §5).
 *
 * Two line styles, chosen once per image with slog_init():
 *   SLOG_STYLE_MCUBOOT  "I: Starting bootloader\r\n"            (the bootloader, as MCUboot's
 *                       minimal log: level letter I/W/E, colon, space, message)
 *   SLOG_STYLE_ZEPHYR   "[00:00:01.234,000] <inf> app: confirmed\r\n"  (the application, as
 *                       Zephyr's default log format; the timestamp comes from slog_clock)
 * Messages are formatted by slog_fmt, a bounded subset of printf: %s %c %d %u %x %X %%, with
 * an optional width (1..9), the '0' flag (d/u/x/X) or the '-' flag (s: left-justified), and
 * the 'l' length modifier accepted and ignored (every integer argument is 32-bit). A line never exceeds SLOG_LINE_MAX bytes; longer
 * text is cut (never overrun). No heap, no libc formatting.
 */
#ifndef SWAP_SLOG_H
#define SWAP_SLOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SLOG_LINE_MAX 160u /* bytes of one line including "\r\n" */

typedef enum { SLOG_INF = 0, SLOG_WRN = 1, SLOG_ERR = 2 } slog_level_t;
typedef enum { SLOG_STYLE_MCUBOOT = 0, SLOG_STYLE_ZEPHYR = 1 } slog_style_t;

/* Where finished lines go (the console UART on the device, a buffer on the host). */
typedef void (*slog_sink_fn)(void *ctx, const char *text, size_t len);
/* Milliseconds since start, for the Zephyr style (the SysTick tick counter). */
typedef uint32_t (*slog_clock_fn)(void);

/*
 * slog_init - choose the style, the sink and (Zephyr style) the clock (NULL: timestamps read
 * 0). The module name of a Zephyr-style line is slog's `module` argument.
 * Returns: nothing.
 */
void slog_init(slog_style_t style, slog_sink_fn sink, void *ctx, slog_clock_fn clock);

/*
 * slog - format and emit one line at `level` for `module` (ignored in the MCUboot style).
 * Returns: nothing (a line that does not fit is cut; a missing sink drops it).
 */
void slog(slog_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * slog_raw - emit `text` (len bytes) unchanged, no prefix, no line ending added (console
 * command echoes that are not log lines).
 * Returns: nothing.
 */
void slog_raw(const char *text, size_t len);

/*
 * slog_fmt / slog_vfmt - the bounded formatter used by slog (also for other fixed buffers).
 * Writes at most cap - 1 characters and a NUL into out (cap >= 1).
 * Returns: the number of characters written (excluding the NUL); text that did not fit is
 *   dropped. Returns 0 for cap == 0 or NULL out/fmt.
 */
size_t slog_fmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t slog_vfmt(char *out, size_t cap, const char *fmt, va_list ap);

/* Shorthands for the bootloader (MCUboot style: no module). */
#define BLOG_INF(...) slog(SLOG_INF, "", __VA_ARGS__)
#define BLOG_WRN(...) slog(SLOG_WRN, "", __VA_ARGS__)
#define BLOG_ERR(...) slog(SLOG_ERR, "", __VA_ARGS__)

#endif /* SWAP_SLOG_H */
