/*
 * console.c - bounded console line reader and command parser (see console.h).
 */
#include "console.h"

#include "fmt.h"

#define CONSOLE_MAX_TOKENS 4u

/* See console.h. No return value. */
void console_init(console_t *c)
{
    if (c == NULL) {
        return;
    }
    c->len = 0;
    c->overflow = 0;
    c->buf[0] = '\0';
}

/* See console.h. Returns CONSOLE_LINE / CONSOLE_TOO_LONG / CONSOLE_PENDING. */
int console_feed(console_t *c, int ch)
{
    if (c == NULL || ch < 0) {
        return CONSOLE_PENDING;
    }
    if (ch == '\n') {
        int rc = c->overflow ? CONSOLE_TOO_LONG : CONSOLE_LINE;
        c->buf[c->len] = '\0';
        c->len = 0;
        c->overflow = 0;
        return rc;
    }
    if (ch == '\r' || ch < 0x20 || ch > 0x7E) {
        return CONSOLE_PENDING;
    }
    if (c->len >= CONSOLE_LINE_MAX) {
        c->overflow = 1;
        return CONSOLE_PENDING;
    }
    if (c->len == 0u) {
        c->buf[0] = '\0'; /* a previous line's text is gone once a new line starts */
    }
    c->buf[c->len++] = (char)ch;
    c->buf[c->len] = '\0';
    return CONSOLE_PENDING;
}

/* See console.h. Returns CONSOLE_OK or a CONSOLE_ERR_* code. */
int console_parse(const char *line, console_cmd_t *cmd)
{
    const char *tok[CONSOLE_MAX_TOKENS];
    size_t tlen[CONSOLE_MAX_TOKENS];
    size_t ntok = 0;
    size_t i = 0;
    size_t n;
    size_t want;

    if (line == NULL || cmd == NULL) {
        return CONSOLE_ERR_ARGS;
    }
    cmd->kind = CMD_NONE;
    cmd->addr = 0;
    cmd->word = 0;
    n = fmt_strlen_bounded(line, CONSOLE_LINE_MAX);

    /* Split on spaces; more than CONSOLE_MAX_TOKENS tokens is an argument-count error. */
    while (i < n) {
        size_t start;
        while (i < n && line[i] == ' ') {
            i++;
        }
        if (i >= n) {
            break;
        }
        if (ntok >= CONSOLE_MAX_TOKENS) {
            return CONSOLE_ERR_ARGS;
        }
        start = i;
        while (i < n && line[i] != ' ') {
            i++;
        }
        tok[ntok] = &line[start];
        tlen[ntok] = i - start;
        ntok++;
    }
    if (ntok == 0u) {
        return CONSOLE_OK;
    }

    if (fmt_streq("wdt-stop", tok[0], tlen[0])) {
        cmd->kind = CMD_WDT_STOP;
        want = 1;
    } else if (fmt_streq("reset", tok[0], tlen[0])) {
        cmd->kind = CMD_RESET;
        want = 1;
    } else if (fmt_streq("ping", tok[0], tlen[0])) {
        cmd->kind = CMD_PING;
        want = 1;
    } else if (fmt_streq("read", tok[0], tlen[0])) {
        cmd->kind = CMD_READ;
        want = 2;
    } else if (fmt_streq("peek", tok[0], tlen[0])) {
        cmd->kind = CMD_PEEK;
        want = 2;
    } else if (fmt_streq("erase", tok[0], tlen[0])) {
        cmd->kind = CMD_ERASE;
        want = 2;
    } else if (fmt_streq("prog", tok[0], tlen[0])) {
        cmd->kind = CMD_PROG;
        want = 3;
    } else {
        return CONSOLE_ERR_UNKNOWN;
    }
    if (ntok != want) {
        cmd->kind = CMD_NONE;
        return CONSOLE_ERR_ARGS;
    }
    if (want >= 2u && fmt_parse_hex32(tok[1], tlen[1], &cmd->addr) != 0) {
        cmd->kind = CMD_NONE;
        return CONSOLE_ERR_NUMBER;
    }
    if (want >= 3u && fmt_parse_hex32(tok[2], tlen[2], &cmd->word) != 0) {
        cmd->kind = CMD_NONE;
        return CONSOLE_ERR_NUMBER;
    }
    return CONSOLE_OK;
}
