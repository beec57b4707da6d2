/*
 * smp_driver.c - host driver for the SMP server (tests/smp, sanitizer run).
 *
 *   smp_driver [slot_size] [image_out]   < wire bytes   > response lines
 *
 * Feeds stdin byte by byte to smp_server_feed() with a fake in-memory ops table (one slot of
 * slot_size bytes, default 65536, at most DRV_SLOT_MAX), writes every response line to stdout
 * and, at EOF, the completed image (if any) to image_out. A console text line "reboot"
 * re-initialises the server (RAM state lost) while the fake slot keeps its progress, so the
 * next upload resumes through upload_resume. Exit status 0 unless the ops saw a contract
 * violation (out-of-order write, write past the total) - then 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_server.h"

#define DRV_SLOT_MAX (256u * 1024u)

typedef struct {
    uint8_t slot[DRV_SLOT_MAX];
    uint32_t slot_size;
    uint32_t total;
    uint32_t have;
    uint8_t sha[SMP_SHA_MAX];
    size_t sha_len;
    int in_progress;
    int completed;
    int violations;
    unsigned resets;
} fake_t;

static fake_t g_fake;
static smp_server_t g_srv;

/* ops: see smp_server.h for the contract of each. */
static int f_begin(void *ctx, uint32_t image, uint32_t total, const uint8_t *sha, size_t sha_len,
                   int upgrade)
{
    fake_t *f = ctx;
    (void)image;
    (void)upgrade;
    if (total > f->slot_size) {
        return SMP_OPS_ERR_TOO_LARGE;
    }
    if (sha_len > SMP_SHA_MAX || (sha_len > 0 && sha == NULL)) {
        f->violations++;
        return SMP_OPS_ERR_INVALID;
    }
    f->total = total;
    f->have = 0;
    f->sha_len = sha_len;
    if (sha_len > 0) {
        memcpy(f->sha, sha, sha_len);
    }
    f->in_progress = 1;
    f->completed = 0;
    return SMP_OPS_OK;
}

static int f_write(void *ctx, uint32_t off, const uint8_t *data, size_t len)
{
    fake_t *f = ctx;
    if (!f->in_progress || off != f->have || len == 0 || len > f->total - off) {
        f->violations++;
        return SMP_OPS_ERR_INVALID;
    }
    memcpy(&f->slot[off], data, len);
    f->have += (uint32_t)len;
    return SMP_OPS_OK;
}

static int f_end(void *ctx)
{
    fake_t *f = ctx;
    if (f->have != f->total) {
        f->violations++;
    }
    f->in_progress = 0;
    f->completed = 1;
    return SMP_OPS_OK;
}

static int f_resume(void *ctx, smp_upload_info_t *out)
{
    fake_t *f = ctx;
    if (!f->in_progress) {
        return 0;
    }
    out->image = 0;
    out->total_len = f->total;
    out->off = f->have;
    out->sha_len = (uint8_t)f->sha_len;
    memcpy(out->sha, f->sha, f->sha_len);
    return 1;
}

static int f_erase(void *ctx, uint32_t slot)
{
    fake_t *f = ctx;
    if (slot > 1u) {
        return SMP_OPS_ERR_SLOT;
    }
    f->in_progress = 0;
    f->have = 0;
    return SMP_OPS_OK;
}

static int f_state_read(void *ctx, smp_image_state_t *out, size_t max)
{
    (void)ctx;
    if (max < 2u) {
        return SMP_OPS_ERR_INVALID;
    }
    memset(out, 0, 2 * sizeof *out);
    out[0].slot = 0;
    strcpy(out[0].version, "1.0.0.7");
    out[0].hash_len = SMP_SHA_MAX;
    memset(out[0].hash, 0xA5, SMP_SHA_MAX);
    out[0].flags = SMP_IMG_F_BOOTABLE | SMP_IMG_F_CONFIRMED | SMP_IMG_F_ACTIVE;
    out[1].slot = 1;
    strcpy(out[1].version, "1.0.0.8");
    out[1].flags = SMP_IMG_F_PENDING;
    return 2;
}

static int f_state_write(void *ctx, const uint8_t *hash, size_t len, int confirm)
{
    (void)ctx;
    (void)confirm;
    if (len > SMP_SHA_MAX || (len > 0 && hash == NULL)) {
        g_fake.violations++;
    }
    return SMP_OPS_OK;
}

static void f_reset(void *ctx)
{
    fake_t *f = ctx;
    f->resets++;
}

static void emit(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    if (len > SMP_FRAME_LINE_MAX) {
        g_fake.violations++;
    }
    fwrite(line, 1, len, stdout);
}

static const smp_image_ops_t g_ops = {
    .upload_begin = f_begin,
    .upload_write = f_write,
    .upload_end = f_end,
    .upload_resume = f_resume,
    .image_erase = f_erase,
    .state_read = f_state_read,
    .state_write = f_state_write,
    .reset = f_reset,
};

/* Returns the process exit status: 0 ok, 2 usage/IO error, 3 contract violation. */
int main(int argc, char **argv)
{
    char text[64];
    size_t tlen = 0;
    int ch;

    g_fake.slot_size = (argc > 1) ? (uint32_t)strtoul(argv[1], NULL, 0) : 65536u;
    if (g_fake.slot_size > DRV_SLOT_MAX) {
        return 2;
    }
    if (smp_server_init(&g_srv, &g_ops, &g_fake, emit, NULL) != SMP_OK) {
        return 2;
    }
    while ((ch = getchar()) != EOF) {
        if (smp_server_feed(&g_srv, ch) != SMP_RX_TEXT) {
            continue;
        }
        if (ch == '\n') {
            if (tlen == 6 && memcmp(text, "reboot", 6) == 0) {
                (void)smp_server_init(&g_srv, &g_ops, &g_fake, emit, NULL);
            }
            tlen = 0;
        } else if (tlen < sizeof text) {
            text[tlen++] = (char)ch;
        }
    }
    fflush(stdout);
    if (argc > 2 && g_fake.completed) {
        FILE *fp = fopen(argv[2], "wb");
        if (fp == NULL || fwrite(g_fake.slot, 1, g_fake.total, fp) != g_fake.total) {
            return 2;
        }
        fclose(fp);
    }
    fprintf(stderr, "requests=%u errors=%u frames=%u dropped=%u resets=%u violations=%d\n",
            (unsigned)g_srv.requests, (unsigned)g_srv.errors, (unsigned)g_srv.rx.frames,
            (unsigned)g_srv.rx.errors, g_fake.resets, g_fake.violations);
    return g_fake.violations ? 3 : 0;
}
