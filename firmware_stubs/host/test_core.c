/*
 * test_core.c - host unit tests for core/ (evidence formatter, CRC-32, number formatting,
 * console parser). Run: make -C firmware_stubs/host test. Exit status 0 = all passed.
 */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "crc32.h"
#include "evidence.h"
#include "fmt.h"

static int failures;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* Tests the CRC against the standard check value and zlib.crc32 results. */
static void test_crc32(void)
{
    CHECK(crc32_compute("123456789", 9) == 0xCBF43926u);
    CHECK(crc32_compute("", 0) == 0u);
    CHECK(crc32_update(crc32_compute("1234", 4), "56789", 5) == 0xCBF43926u);
    CHECK(crc32_compute("EV 0 boot PING", 14) == 0xa71ed37cu); /* zlib.crc32(b"EV 0 boot PING") */
}

/* Tests number formatting and hex parsing, including bounds. */
static void test_fmt(void)
{
    char b[16];
    uint32_t v = 0;

    CHECK(fmt_u32_dec(b, sizeof b, 0) == 1 && strcmp(b, "0") == 0);
    CHECK(fmt_u32_dec(b, sizeof b, 4294967295u) == 10 && strcmp(b, "4294967295") == 0);
    CHECK(fmt_u32_dec(b, 10, 4294967295u) == -1 && b[0] == '\0');
    CHECK(fmt_u32_hex(b, sizeof b, 0x8000000u, 0) == 9 && strcmp(b, "0x8000000") == 0);
    CHECK(fmt_u32_hex(b, sizeof b, 0xABu, 8) == 10 && strcmp(b, "0x000000ab") == 0);
    CHECK(fmt_u32_hex(b, 4, 0x12u, 0) == -1);
    CHECK(fmt_u32_hex(b, 5, 0x12u, 0) == 4);
    CHECK(fmt_parse_hex32("0x08020200", 10, &v) == 0 && v == 0x08020200u);
    CHECK(fmt_parse_hex32("DEADbeef", 8, &v) == 0 && v == 0xDEADBEEFu);
    CHECK(fmt_parse_hex32("0x", 2, &v) == -1);
    CHECK(fmt_parse_hex32("123456789", 9, &v) == -1);
    CHECK(fmt_parse_hex32("12g", 3, &v) == -1);
}

/* Tests valid evidence lines and every refusal rule. */
static void test_evidence(void)
{
    char out[EV_LINE_BUF];
    const char *k2[] = {"cause", "brownout_flag"};
    const char *v2[] = {"power-on", "0"};
    const char *kdup[] = {"a", "a"};
    const char *vdup[] = {"1", "2"};
    const char *kbad[] = {"Bad"};
    const char *vbad[] = {"has space"};
    const char *kok[] = {"k"};
    const char *v40[] = {"0123456789012345678901234567890123456789"};
    const char *v41[] = {"01234567890123456789012345678901234567890"};
    const char *k16[] = {"abcdefghijklmnop"};
    const char *k17[] = {"abcdefghijklmnopq"};
    const char *vempty[] = {""};
    const char *many_k[EV_MAX_FIELDS + 1];
    const char *many_v[EV_MAX_FIELDS + 1];
    static char keybuf[EV_MAX_FIELDS + 1][4];
    int n;
    int i;

    n = ev_format(out, sizeof out, 0, "boot", "PING", NULL, NULL, 0);
    CHECK(n == 26 && strcmp(out, "EV 0 boot PING #a71ed37c\r\n") == 0);

    n = ev_format(out, sizeof out, 7, "boot", "REBOOT_REASON", k2, v2, 2);
    CHECK(n > 0 && strncmp(out, "EV 7 boot REBOOT_REASON cause=power-on brownout_flag=0 #", 56) == 0);
    CHECK(n > 0 && (uint32_t)n == strlen(out));
    {
        char crc[9];
        snprintf(crc, sizeof crc, "%08x",
                 crc32_compute("EV 7 boot REBOOT_REASON cause=power-on brownout_flag=0", 54));
        CHECK(strncmp(out + 56, crc, 8) == 0 && strcmp(out + 64, "\r\n") == 0);
    }

    CHECK(ev_format(out, sizeof out, 0, "bootx", "A", NULL, NULL, 0) == EV_ERR_SRC);
    CHECK(ev_format(out, sizeof out, 0, "boo", "A", NULL, NULL, 0) == EV_ERR_SRC);
    CHECK(ev_format(out, sizeof out, 0, "app", "a", NULL, NULL, 0) == EV_ERR_NAME);
    CHECK(ev_format(out, sizeof out, 0, "app", "", NULL, NULL, 0) == EV_ERR_NAME);
    CHECK(ev_format(out, sizeof out, 0, "app", "A_9", NULL, NULL, 0) > 0);
    CHECK(ev_format(out, sizeof out, 0, "app", "A2345678901234567890123456789012", NULL, NULL, 0) > 0);
    CHECK(ev_format(out, sizeof out, 0, "app", "A23456789012345678901234567890123", NULL, NULL, 0) == EV_ERR_NAME);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kdup, vdup, 2) == EV_ERR_DUPKEY);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kbad, vdup, 1) == EV_ERR_KEY);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kok, vbad, 1) == EV_ERR_VALUE);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kok, vempty, 1) == EV_ERR_VALUE);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kok, v40, 1) > 0);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", kok, v41, 1) == EV_ERR_VALUE);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", k16, v40, 1) > 0);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", k17, v40, 1) == EV_ERR_KEY);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", NULL, NULL, 1) == EV_ERR_ARG);
    CHECK(ev_format(out, 10, 0, "app", "A", NULL, NULL, 0) == EV_ERR_CAP && out[0] == '\0');
    CHECK(ev_format(out, 22, 0, "app", "A", NULL, NULL, 0) == EV_ERR_CAP);
    CHECK(ev_format(out, 23, 0, "app", "A", NULL, NULL, 0) == 22); /* "EV 0 app A #xxxxxxxx\r\n" */

    for (i = 0; i <= (int)EV_MAX_FIELDS; i++) {
        snprintf(keybuf[i], sizeof keybuf[i], "k%c", 'a' + i);
        many_k[i] = keybuf[i];
        many_v[i] = "1";
    }
    CHECK(ev_format(out, sizeof out, 0, "app", "A", many_k, many_v, EV_MAX_FIELDS) > 0);
    CHECK(ev_format(out, sizeof out, 0, "app", "A", many_k, many_v, EV_MAX_FIELDS + 1) == EV_ERR_FIELDS);

    /* Exactly 255 bytes before \r\n is accepted, 256 refused. Header "EV 0 app A" = 10,
     * " #crc" = 10, so fields get 235: 5 x " k?=<40 chars>" (44 each) = 220, + " z=<12>" = 235. */
    {
        const char *kk[6] = {"ka", "kb", "kc", "kd", "ke", "z"};
        const char *vv[6] = {v40[0], v40[0], v40[0], v40[0], v40[0], "vvvvvvvvvvvv"};
        n = ev_format(out, sizeof out, 0, "app", "A", kk, vv, 6);
        CHECK(n == 257);
        vv[5] = "vvvvvvvvvvvvv";
        CHECK(ev_format(out, sizeof out, 0, "app", "A", kk, vv, 6) == EV_ERR_TOO_LONG);
    }
}

/* Tests the console line reader and parser. */
static void test_console(void)
{
    console_t c;
    console_cmd_t cmd;
    const char *s;
    int rc = CONSOLE_PENDING;
    int i;

    console_init(&c);
    for (s = "prog 0x08060000 DEADBEEF\r\n"; *s; s++) {
        rc = console_feed(&c, *s);
    }
    CHECK(rc == CONSOLE_LINE);
    CHECK(console_parse(c.buf, &cmd) == CONSOLE_OK && cmd.kind == CMD_PROG &&
          cmd.addr == 0x08060000u && cmd.word == 0xDEADBEEFu);
    CHECK(console_parse("read 20200", &cmd) == CONSOLE_OK && cmd.kind == CMD_READ && cmd.addr == 0x20200u);
    CHECK(console_parse("  ping  ", &cmd) == CONSOLE_OK && cmd.kind == CMD_PING);
    CHECK(console_parse("", &cmd) == CONSOLE_OK && cmd.kind == CMD_NONE);
    CHECK(console_parse("wdt-stop", &cmd) == CONSOLE_OK && cmd.kind == CMD_WDT_STOP);
    CHECK(console_parse("reset", &cmd) == CONSOLE_OK && cmd.kind == CMD_RESET);
    CHECK(console_parse("erase 0x8020000", &cmd) == CONSOLE_OK && cmd.kind == CMD_ERASE);
    CHECK(console_parse("resetx", &cmd) == CONSOLE_ERR_UNKNOWN);
    CHECK(console_parse("ping 1", &cmd) == CONSOLE_ERR_ARGS);
    CHECK(console_parse("read", &cmd) == CONSOLE_ERR_ARGS);
    CHECK(console_parse("read 1 2 3 4 5", &cmd) == CONSOLE_ERR_ARGS);
    CHECK(console_parse("read xyz", &cmd) == CONSOLE_ERR_NUMBER && cmd.kind == CMD_NONE);
    CHECK(console_parse("prog 0 123456789", &cmd) == CONSOLE_ERR_NUMBER);

    console_init(&c);
    for (i = 0; i < 100; i++) {
        rc = console_feed(&c, 'a');
        CHECK(rc == CONSOLE_PENDING);
    }
    CHECK(console_feed(&c, '\n') == CONSOLE_TOO_LONG);
    for (s = "ping\n"; *s; s++) {
        rc = console_feed(&c, *s);
    }
    CHECK(rc == CONSOLE_LINE && strcmp(c.buf, "ping") == 0);
}

/* Sink for the emitter test: captures the last line. */
static char sink_buf[EV_LINE_BUF + 8];
static size_t sink_len;
static void test_sink(const char *d, size_t n)
{
    if (n < sizeof sink_buf) {
        memcpy(sink_buf, d, n);
        sink_buf[n] = '\0';
        sink_len = n;
    }
}

/* Tests the emitter: seq advance, refusals, text lines. */
static void test_emitter(void)
{
    ev_fields_t f;

    CHECK(ev_init("nope", 0, test_sink) == EV_ERR_SRC);
    CHECK(ev_emit("PING", NULL) == EV_ERR_NOINIT);
    CHECK(ev_init("app", 41, test_sink) == EV_OK);
    ev_fields_init(&f);
    ev_add_hex(&f, "addr", 0x8020200u, 0);
    ev_add_str(&f, "result", "ok");
    ev_add_hex(&f, "value", 0xffu, 8);
    CHECK(ev_emit("READ", &f) == EV_OK);
    CHECK(strncmp(sink_buf, "EV 41 app READ addr=0x8020200 result=ok value=0x000000ff #", 58) == 0);
    CHECK(ev_next_seq() == 42);
    ev_fields_init(&f);
    ev_add_str(&f, "bad key", "x");
    CHECK(ev_emit("READ", &f) == EV_ERR_KEY);
    CHECK(strcmp(sink_buf, "! evidence error -4\r\n") == 0);
    CHECK(ev_next_seq() == 42);
    CHECK(ev_emit_text("running build 1 from slot A") == EV_OK &&
          strcmp(sink_buf, "running build 1 from slot A\r\n") == 0);
    CHECK(ev_emit_text("EV 1 app X #00000000") == EV_ERR_VALUE);
    CHECK(ev_emit_text("tab\there") == EV_ERR_VALUE);
    (void)sink_len;
}

int main(void)
{
    test_crc32();
    test_fmt();
    test_evidence();
    test_console();
    test_emitter();
    if (failures != 0) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all core tests passed\n");
    return 0;
}
