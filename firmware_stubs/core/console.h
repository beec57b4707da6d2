/*
 * console.h - bounded line reader and command parser for the app console (contracts §3).
 *
 * Commands, one per line, '\n'-terminated ('\r' is ignored), tokens separated by spaces:
 *   wdt-stop | reset | ping | read <hexaddr> | peek <hexaddr> | erase <hexaddr> |
 *   prog <hexaddr> <hexword>
 * Hex numbers: 1..8 digits with an optional 0x prefix.
 */
#ifndef OTA_CORE_CONSOLE_H
#define OTA_CORE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE_MAX 64u /* characters per command line, excluding '\n' */

typedef struct {
    char buf[CONSOLE_LINE_MAX + 1u];
    size_t len;
    int overflow; /* the current line exceeded CONSOLE_LINE_MAX; it is discarded at '\n' */
} console_t;

/* console_feed() results */
#define CONSOLE_PENDING   0  /* no complete line yet */
#define CONSOLE_LINE      1  /* a complete line is in c->buf (NUL-terminated, no '\n') */
#define CONSOLE_TOO_LONG (-1) /* a line longer than CONSOLE_LINE_MAX ended; it was dropped */

/* console_init - empty the reader. No return value; `c` must not be NULL. */
void console_init(console_t *c);

/*
 * console_feed - push one received byte.
 * Returns: CONSOLE_LINE when `ch` ended a line (read c->buf, then keep feeding: the next
 *   byte starts a new line), CONSOLE_TOO_LONG when an over-long line ended, else
 *   CONSOLE_PENDING. Bytes other than printable ASCII, '\r' and '\n' are ignored.
 */
int console_feed(console_t *c, int ch);

typedef enum {
    CMD_NONE = 0, /* empty line */
    CMD_WDT_STOP,
    CMD_RESET,
    CMD_PING,
    CMD_READ,
    CMD_ERASE,
    CMD_PROG,
    CMD_PEEK,
} console_cmd_kind_t;

typedef struct {
    console_cmd_kind_t kind;
    uint32_t addr; /* read/peek/erase/prog */
    uint32_t word; /* prog */
} console_cmd_t;

/* console_parse() results */
#define CONSOLE_OK           0
#define CONSOLE_ERR_UNKNOWN (-1) /* unknown command word */
#define CONSOLE_ERR_ARGS    (-2) /* wrong number of arguments */
#define CONSOLE_ERR_NUMBER  (-3) /* an argument is not a valid hex number */

/*
 * console_parse - parse one NUL-terminated line (at most CONSOLE_LINE_MAX characters are
 * looked at) into `cmd`.
 * Returns: CONSOLE_OK (cmd filled; kind CMD_NONE for an empty/blank line), or one of
 *   CONSOLE_ERR_UNKNOWN / CONSOLE_ERR_ARGS / CONSOLE_ERR_NUMBER (cmd->kind = CMD_NONE),
 *   or CONSOLE_ERR_ARGS for NULL arguments.
 */
int console_parse(const char *line, console_cmd_t *cmd);

#endif /* OTA_CORE_CONSOLE_H */
