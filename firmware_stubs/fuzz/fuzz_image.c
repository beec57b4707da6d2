/*
 * fuzz_image.c - libFuzzer / AFL++ entry point over the image verifier (core/image.c) and
 * the trust-anchor parser (core/keyring.c). Run it with scripts/fuzz.sh [SECONDS].
 *
 * The fuzz input is the slot content (the source is exactly the input, so a read past it
 * is an ASan error). Header size FUZZ_HDR_SIZE (0x200, the LPC55S69's), erased value 0xFF.
 * The fixed test anchor allows the tests' signer (private scalar 0x5EED0001, key ID
 * 0xa3decc71) and revokes the tests' "revoked" key (0x5EED0003, key ID 0x4237d03e); the
 * seed corpus (scripts/fuzz.sh) holds valid images signed by that signer.
 *
 * Per input:
 *  1. keyring_parse over the input (anchor parser robustness);
 *  2. img_parse; if it accepts:
 *  3. img_verify on the input as is;
 *  4. img_check_policy on the parsed manifest, whatever step 3 said (steps 6-8 only need a
 *     parsed manifest; this reaches them for memory safety even without a valid signature);
 *  5. when step 3 failed on the hash, once more with the manifest's SHA256 value replaced by
 *     the computed hash, so the key-policy and signature steps are reached by mutated
 *     inputs too.
 *
 * Build (scripts/fuzz.sh does this):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore fuzz/fuzz_image.c core/image.c
 *         core/keyring.c core/sha256.c core/p256.c core/crc32.c (with -DHIL_CRYPTO_SW=1)
 * AFL++: afl-clang-fast ... -DFUZZ_STANDALONE (main() below reads one input from a file
 * argument or stdin), or link with AFL++'s libFuzzer driver (libAFLDriver.a).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image.h"
#include "keyring.h"

#define FUZZ_HDR_SIZE  0x200u
#define FUZZ_MAX_INPUT (1u << 20)

static const uint8_t signer_xy[64] = {
    0xfb, 0xd0, 0xea, 0x5b, 0xd9, 0x6b, 0x85, 0x86, 0xf0, 0x96, 0xb4, 0x3c, 0x07, 0x53, 0x74, 0x8e,
    0x9a, 0xea, 0x49, 0x3c, 0xe7, 0x5e, 0xa2, 0xe1, 0xa8, 0x6b, 0x57, 0x2a, 0x15, 0xd3, 0xaa, 0x3a,
    0x3c, 0x96, 0x37, 0x1a, 0x3a, 0x3f, 0x5b, 0x91, 0xdd, 0xcf, 0xb1, 0x8f, 0xfc, 0xc8, 0xe9, 0x16,
    0x52, 0xcb, 0xdf, 0xa0, 0xec, 0x44, 0xd9, 0x66, 0xe8, 0x0b, 0xac, 0x6b, 0xca, 0x0c, 0xe8, 0xf2,
};
static const uint8_t revoked_xy[64] = {
    0xa6, 0x19, 0xb7, 0xfc, 0xe3, 0xc6, 0xb2, 0x9b, 0x25, 0xbf, 0x4f, 0x3e, 0x2c, 0x92, 0xc4, 0xe3,
    0xea, 0xe5, 0x28, 0x2b, 0x66, 0x2c, 0x26, 0x5b, 0xe2, 0xbf, 0x63, 0xc2, 0xb9, 0x4f, 0xbf, 0x04,
    0x9f, 0x3f, 0x19, 0x95, 0x63, 0xb7, 0x11, 0x1e, 0x3f, 0xb7, 0xee, 0x6e, 0xf8, 0xfe, 0x36, 0x63,
    0xeb, 0x03, 0xb2, 0xb7, 0xbb, 0x74, 0xbe, 0x2d, 0x69, 0xfb, 0xf9, 0x15, 0x52, 0x1e, 0xdf, 0x0c,
};

typedef struct {
    const uint8_t *data;
    uint32_t len;
} fuzz_buf_t;

/* Reader over the input. Returns 0, or -1 outside the input (never asked for by image.c). */
static int fuzz_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    const fuzz_buf_t *b = (const fuzz_buf_t *)ctx;

    if (len > b->len || off > b->len - len) {
        return -1;
    }
    memcpy(dst, &b->data[off], len);
    return 0;
}

/* The fixed test keyring (built once). Returns a pointer to it. */
static const keyring_t *fuzz_keyring(void)
{
    static keyring_t kr;
    static int ready;

    if (!ready) {
        keyring_init_empty(&kr);
        kr.count = 2u;
        kr.floor = 1u;
        kr.hw_compat = 0x12345678u;
        kr.keys[0].key_id = 0xa3decc71u;
        kr.keys[0].flags = KR_FLAG_ALLOWED;
        memcpy(kr.keys[0].pub, signer_xy, 64u);
        kr.keys[1].key_id = 0x4237d03eu;
        kr.keys[1].flags = KR_FLAG_REVOKED;
        memcpy(kr.keys[1].pub, revoked_xy, 64u);
        ready = 1;
    }
    return &kr;
}

/* libFuzzer entry point. Returns 0 (inputs are never rejected from the corpus). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static img_manifest_t m;
    static keyring_t scratch;
    const keyring_t *kr = fuzz_keyring();
    fuzz_buf_t buf;
    img_source_t src;
    img_policy_t pol;
    img_result_t r;

    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    (void)keyring_parse(data, size, &scratch);

    buf.data = data;
    buf.len = (uint32_t)size;
    memset(&src, 0, sizeof(src));
    src.read = fuzz_read;
    src.ctx = &buf;
    src.size = (uint32_t)size;

    r = img_parse(&src, FUZZ_HDR_SIZE, &m);
    if (r != IMG_OK) {
        return 0;
    }
    r = img_verify(&src, &m, kr);

    pol.hw_compat = kr->hw_compat;
    pol.slot = 0u;
    pol.image_type = IMG_TYPE_APP;
    pol.floor = kr->floor;
    pol.running_build = 2u;
    pol.erased_value = 0xFFu;
    (void)img_check_policy(&src, &m, &pol);

    if (r == IMG_HASH_MISMATCH && (m.present & IMG_HAVE_COMPUTED) != 0u) {
        memcpy(m.sha256, m.computed_hash, sizeof(m.sha256));
        (void)img_verify(&src, &m, kr);
    }
    return 0;
}

#ifdef FUZZ_STANDALONE
#include <stdio.h>
#include <stdlib.h>

/* AFL++ / replay driver: one input from argv[1] (or stdin). Returns 0, or 2 on I/O errors. */
int main(int argc, char **argv)
{
    static uint8_t in[FUZZ_MAX_INPUT];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    size_t n;

    if (f == NULL) {
        return 2;
    }
    n = fread(in, 1, sizeof(in), f);
    if (f != stdin) {
        fclose(f);
    }
    (void)LLVMFuzzerTestOneInput(in, n);
    return 0;
}
#endif
