/*
 * vector_driver.c - host driver for the sanitizer run of tests/crypto (built with
 * -fsanitize=address,undefined together with firmware_stubs/core/{sha256,p256}.c).
 *
 * stdin/argv[1]: one vector per line, "<mode> <pub hex> <msg hex> <sig hex>", "-" for an
 * empty field. mode: D = DER signature over SHA-256(msg) (hashed here by sha256()),
 *                    P = IEEE P1363 r || s (exactly 64 bytes) over SHA-256(msg),
 *                    H = msg is the 32-byte digest itself, sig is r || s (64 bytes).
 * stdout: one line per vector, "<accepted 0|1> <detail>" where detail is the DER error
 * (< 0), -100 for a P1363 signature of the wrong size, or the p256_verify result.
 * Every field is decoded into an exactly sized heap buffer so that ASan sees any overread.
 * Returns 0, or 2 on a malformed input line.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p256.h"
#include "sha256.h"

#define LINE_MAX_CHARS 20000

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode a hex token ("-" = empty) into a fresh malloc'd buffer of exactly *len bytes. */
static uint8_t *unhex(const char *tok, size_t *len)
{
    size_t n = strlen(tok);
    uint8_t *out;
    size_t i;

    if (strcmp(tok, "-") == 0) {
        n = 0;
    }
    if (n % 2u != 0u) {
        return NULL;
    }
    out = malloc(n != 0u ? n / 2u : 1u); /* exact size: ASan catches any overread */
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < n / 2u; i++) {
        int hi = hexval(tok[2u * i]);
        int lo = hexval(tok[2u * i + 1u]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len = n / 2u;
    return out;
}

int main(int argc, char **argv)
{
    static char line[LINE_MAX_CHARS];
    FILE *in = stdin;
    unsigned long lineno = 0;

    if (argc > 1) {
        in = fopen(argv[1], "r");
        if (in == NULL) {
            perror(argv[1]);
            return 2;
        }
    }
    while (fgets(line, sizeof line, in) != NULL) {
        char *save = NULL;
        char *mode = strtok_r(line, " \n", &save);
        char *tpub = strtok_r(NULL, " \n", &save);
        char *tmsg = strtok_r(NULL, " \n", &save);
        char *tsig = strtok_r(NULL, " \n", &save);
        uint8_t *pub, *msg, *sig;
        size_t publen = 0, msglen = 0, siglen = 0;
        uint8_t digest[32], r[32], s[32];
        int detail;

        lineno++;
        if (mode == NULL || tpub == NULL || tmsg == NULL || tsig == NULL) {
            fprintf(stderr, "line %lu: malformed\n", lineno);
            return 2;
        }
        pub = unhex(tpub, &publen);
        msg = unhex(tmsg, &msglen);
        sig = unhex(tsig, &siglen);
        if (pub == NULL || msg == NULL || sig == NULL || publen != 64u) {
            fprintf(stderr, "line %lu: bad hex\n", lineno);
            return 2;
        }
        if (mode[0] == 'H') {
            if (msglen != 32u) {
                fprintf(stderr, "line %lu: digest must be 32 bytes\n", lineno);
                return 2;
            }
            memcpy(digest, msg, 32);
        } else {
            sha256(msg, msglen, digest);
        }
        if (mode[0] == 'D') {
            detail = p256_der_to_rs(sig, siglen, r, s);
        } else if (siglen != 64u) {
            detail = -100;
        } else {
            memcpy(r, sig, 32);
            memcpy(s, sig + 32, 32);
            detail = 0;
        }
        if (detail == 0) {
            detail = (int)p256_verify(pub, digest, r, s);
            printf("%d %d\n", detail == (int)P256_OK ? 1 : 0, detail);
        } else {
            printf("0 %d\n", detail);
        }
        free(pub);
        free(msg);
        free(sig);
    }
    if (in != stdin) {
        fclose(in);
    }
    return 0;
}
