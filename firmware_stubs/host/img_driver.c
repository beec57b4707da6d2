/*
 * img_driver.c - batch driver for the C image verifier, built with ASan + UBSan
 * (make -C firmware_stubs/host driver): runs img_verify_buffer over many cases so that
 * tests/cimage can check that no mutation crashes or reads out of bounds.
 *
 *   img_driver <anchor-file> <hdr_size> <erased_value> < cases
 *
 * stdin: a sequence of records, little endian:
 *     u32 slot_len | u32 data_len | u8 data[data_len]
 * Each case is copied into a heap buffer of exactly slot_len bytes (data, then
 * slot_len - data_len erased bytes; data_len <= slot_len), so any read past the source is
 * an ASan error. Policy: hw_compat and floor from the anchor, slot 0, image type 1, no
 * running build.
 * stdout: one line per case, "<index> <result>" (the img_result_t number).
 * Exit status: 0 when every record was processed, 2 on a usage or input error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "keyring.h"

#define DRIVER_MAX_SLOT (16u * 1024u * 1024u)

/* Read exactly n bytes from f. Returns 0 on success, -1 at EOF/short read. */
static int read_exact(FILE *f, void *dst, size_t n)
{
    return fread(dst, 1, n, f) == n ? 0 : -1;
}

/* Little-endian u32 from 4 bytes. Returns the value. */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Entry point. Returns 0 when all records were processed, 2 on usage/input errors. */
int main(int argc, char **argv)
{
    static uint8_t anchor[KR_MAX_BYTES + 64u];
    size_t anchor_len;
    img_host_policy_t pol;
    FILE *af;
    uint32_t index = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s <anchor-file> <hdr_size> <erased_value> < cases\n", argv[0]);
        return 2;
    }
    af = fopen(argv[1], "rb");
    if (af == NULL) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    anchor_len = fread(anchor, 1, sizeof(anchor), af);
    fclose(af);

    memset(&pol, 0, sizeof(pol));
    pol.hdr_size = (uint32_t)strtoul(argv[2], NULL, 0);
    pol.erased_value = (uint32_t)strtoul(argv[3], NULL, 0);
    pol.slot = 0u;
    pol.image_type = IMG_TYPE_APP;
    pol.use_anchor = 1u;

    for (;;) {
        uint8_t head[8];
        uint32_t slot_len;
        uint32_t data_len;
        uint8_t *buf;
        img_host_report_t rep;
        int r;

        if (read_exact(stdin, head, sizeof(head)) != 0) {
            break;
        }
        slot_len = le32(&head[0]);
        data_len = le32(&head[4]);
        if (data_len > slot_len || slot_len > DRIVER_MAX_SLOT) {
            fprintf(stderr, "record %u: bad lengths %u/%u\n", index, slot_len, data_len);
            return 2;
        }
        buf = (uint8_t *)malloc(slot_len != 0u ? slot_len : 1u);
        if (buf == NULL) {
            return 2;
        }
        if (read_exact(stdin, buf, data_len) != 0) {
            fprintf(stderr, "record %u: short data\n", index);
            free(buf);
            return 2;
        }
        memset(&buf[data_len], (int)(pol.erased_value & 0xFFu), slot_len - data_len);
        r = img_verify_buffer(slot_len != 0u ? buf : NULL, slot_len, anchor,
                              (uint32_t)anchor_len, &pol, &rep);
        printf("%u %d\n", index, r);
        free(buf);
        index++;
    }
    return 0;
}
