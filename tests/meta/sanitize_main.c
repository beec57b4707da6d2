/*
 * sanitize_main.c - C driver for the sanitizer run (built by tests/meta/test_sanitize.py with
 * -fsanitize=address,undefined): power-cut sweeps of the metadata transactions and the
 * evidence ring at every flash operation (clean and torn), plus a fuzz of bootsel_decide and
 * meta_parse with random inputs. Geometry from argv (one chip per run):
 *   chip page unit erased meta_a meta_b ev_base ev_size slot_a slot_b slot_size attempts chunk
 * Prints one summary line per sweep; exit 0 on success, 1 on the first broken invariant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "FAIL %s:%d: %s (cut %u torn %d)\n", __FILE__, __LINE__, \
                    #c, g_cut, g_torn);                                           \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static unsigned g_cut;
static int g_torn;
static h_geom_t G;
static const uint32_t LEN = 3u * 512u - 32u;

static int trial_jumps;

static int boot(hdev_t *d, h_boot_t *r)
{
    int rc = h_boot(d, r);

    if (rc == H_OK && r->jumped && r->action == BS_ACT_BOOT && r->trial) {
        trial_jumps++;
    }
    return rc;
}

/* Reset until a non-trial boot; returns its slot (or -1 for rescue). */
static int settle(hdev_t *d)
{
    h_boot_t r;
    int i;

    for (i = 0; i < (int)G.max_attempts + 3; i++) {
        CHECK(boot(d, &r) == H_OK);
        if (!r.trial) {
            return r.action == BS_ACT_BOOT ? r.slot : -1;
        }
    }
    CHECK(!"pending never ends");
    return -1;
}

static void confirmed_bootable(hdev_t *d)
{
    meta_load_t ld;
    bs_image_t img;

    CHECK(h_load(d, &ld) == 0);
    CHECK(ld.result != META_BOTH_INVALID);
    CHECK(ld.rec.state[ld.rec.active] == META_ST_CONFIRMED);
    CHECK(h_verify(d, ld.rec.active, &img) && img.build == ld.rec.build[ld.rec.active]);
}

typedef int (*txn_fn)(hdev_t *d);
typedef void (*check_fn)(hdev_t *d);

static int t_adopt(hdev_t *d)
{
    h_boot_t r;
    return boot(d, &r);
}
static void c_adopt(hdev_t *d)
{
    CHECK(settle(d) == 0);
    confirmed_bootable(d);
}
static int t_install(hdev_t *d)
{
    return h_upload(d, 1, 2, 0xB2, LEN, 1000, NULL);
}
static void c_install(hdev_t *d)
{
    confirmed_bootable(d);
    CHECK(fs_violations(h_fs(d)) == 0);
    CHECK(h_upload(d, 1, 2, 0xB2, LEN, 1000, NULL) == 0);
    CHECK(settle(d) == 0);
    CHECK(trial_jumps <= (int)G.max_attempts);
}
static int t_attempts(hdev_t *d)
{
    h_boot_t r;
    uint32_t i;
    int rc = 0;

    for (i = 0; i <= G.max_attempts && rc == 0; i++) {
        rc = boot(d, &r);
    }
    return rc;
}
static void c_attempts(hdev_t *d)
{
    confirmed_bootable(d);
    CHECK(settle(d) == 0);
    CHECK(trial_jumps <= (int)G.max_attempts);
}
static int t_confirm(hdev_t *d)
{
    return h_confirm(d, 1);
}
static void c_confirm(hdev_t *d)
{
    meta_load_t ld;

    confirmed_bootable(d);
    CHECK(h_load(d, &ld) == 0);
    CHECK(ld.rec.floor == 0 || ld.rec.floor == 2);
    CHECK(ld.rec.floor == 0 || ld.rec.active == 1); /* never before B is CONFIRMED */
    CHECK(ld.rec.floor_next == 0 || (ld.rec.floor_next == 2 && ld.rec.active == 1));
    CHECK((ld.rec.active == 1) == (ld.rec.floor == 2 || ld.rec.floor_next == 2));
    if (ld.rec.floor_next != 0) { /* cut between the two commits: the next boot completes */
        h_boot_t r;
        CHECK(boot(d, &r) == H_OK && r.floor_bumped == 1 && r.slot == 1 && !r.trial);
        CHECK(h_load(d, &ld) == 0 && ld.rec.floor == 2 && ld.rec.floor_next == 0);
    }
}

static void sweep(const char *name, hdev_t *d, txn_fn txn, check_fn check, int prior_trials)
{
    flashsim_t *fs = h_fs(d);
    uint32_t n;
    uint32_t op;
    unsigned runs = 0;

    CHECK(fs_save(fs, 1) == 0);
    fs_reset_ops(fs);
    trial_jumps = prior_trials;
    CHECK(txn(d) == 0);
    n = fs_ops(fs);
    for (op = 0; op < n; op++) {
        for (g_torn = 0; g_torn < 2; g_torn++) {
            g_cut = op;
            CHECK(fs_restore(fs, 1) == 0);
            fs_reset_ops(fs);
            fs_arm_cut(fs, op, 77u + op, g_torn);
            trial_jumps = prior_trials;
            (void)txn(d);
            CHECK(fs_dead(fs));
            fs_power_on(fs);
            check(d);
            runs++;
        }
    }
    CHECK(fs_restore(fs, 1) == 0);
    printf("%s ops=%u cut-runs=%u\n", name, n, runs);
}

static void ring_sweep(hdev_t *d)
{
    flashsim_t *fs = h_fs(d);
    evr_record_t *out = calloc(4096, sizeof(*out));
    uint32_t i;
    uint32_t n;
    uint32_t op;
    unsigned runs = 0;

    CHECK(out != NULL);
    CHECK(h_ring_open(d) == 0);
    CHECK(fs_save(fs, 2) == 0);
    fs_reset_ops(fs);
    for (i = 0; i < 600; i++) {
        CHECK(h_ring_append(d, 9, i) == 0);
    }
    CHECK(h_ring_flush(d) == 0);
    n = fs_ops(fs);
    for (op = 0; op < n; op += 3) {
        for (g_torn = 0; g_torn < 2; g_torn++) {
            int got;
            int k;
            g_cut = op;
            CHECK(fs_restore(fs, 2) == 0);
            CHECK(h_ring_open(d) == 0);
            fs_reset_ops(fs);
            fs_arm_cut(fs, op, op, g_torn);
            for (i = 0; i < 600; i++) {
                if (h_ring_append(d, 9, i) != 0) {
                    break;
                }
            }
            (void)h_ring_flush(d);
            fs_power_on(fs);
            CHECK(h_ring_open(d) == 0);
            got = h_ring_replay(d, out, 4096);
            CHECK(got >= 0);
            for (k = 1; k < got; k++) {
                CHECK(out[k].seq > out[k - 1].seq);
                CHECK(out[k].kind != 9 || out[k].v[1] == ~out[k].v[0]);
            }
            CHECK(h_ring_append(d, 9, got > 0 ? out[got - 1].seq + 1u : 0u) == 0);
            CHECK(h_ring_flush(d) == 0);
            runs++;
        }
    }
    free(out);
    printf("ring ops=%u cut-runs=%u\n", n, runs);
}

static uint32_t rnd32(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static void fuzz(void)
{
    uint64_t s = 0x12345678u;
    unsigned i;

    for (i = 0; i < 200000u; i++) {
        bs_input_t in;
        bs_output_t out;
        uint8_t buf[META_RECORD_SIZE];
        meta_record_t rec;
        uint8_t *p = (uint8_t *)&in;
        unsigned k;

        for (k = 0; k < sizeof(in); k++) {
            p[k] = (uint8_t)rnd32(&s);
        }
        in.meta_result = (meta_result_t)(rnd32(&s) % 3u);
        in.rescue = (uint8_t)(rnd32(&s) % 3u);
        in.max_attempts = (uint8_t)(1u + rnd32(&s) % 5u);
        in.rec.active = (uint8_t)(rnd32(&s) % 3u);
        in.rec.next = (uint8_t)(rnd32(&s) % 2u);
        in.rec.state[0] = (uint8_t)(rnd32(&s) % 7u);
        in.rec.state[1] = (uint8_t)(rnd32(&s) % 7u);
        in.rec.attempts[0] = 0;
        in.rec.attempts[1] = (uint8_t)(rnd32(&s) % 7u);
        in.rec.up_slot = META_SLOT_NONE;
        in.rec.floor = rnd32(&s) % 8u;
        in.anchor_floor = rnd32(&s) % 8u;
        for (k = 0; k < 2; k++) {
            in.image[k].valid = (uint8_t)(rnd32(&s) & 1u);
            in.image[k].build = rnd32(&s) % 8u;
            in.rec.build[k] = (rnd32(&s) & 1u) ? in.image[k].build : rnd32(&s) % 8u;
            in.image[k].image_id = rnd32(&s) % 4u;
            in.rec.image_id[k] = rnd32(&s) % 4u;
        }
        in.rec.floor_next = (rnd32(&s) & 1u) ? in.rec.build[in.rec.active & 1u] : 0u;
        CHECK(bootsel_decide(&in, &out) == BS_OK);
        CHECK(out.n_events >= 1 && out.n_events <= BS_MAX_EVENTS);
        if (out.action == BS_ACT_BOOT) {
            CHECK(out.slot <= 1 && in.image[out.slot].valid);
            CHECK(in.image[out.slot].build >= in.anchor_floor);
        }
        if (out.commits > 0) {
            CHECK(meta_record_check(&out.rec));
        }
        if (bootsel_floor_due(&in, &in.rec)) { /* only the verified CONFIRMED image */
            bs_path_t fp;
            uint8_t a = in.rec.active;
            CHECK(meta_record_check(&in.rec) && in.image[a].valid);
            CHECK(in.image[a].build == in.rec.build[a] && in.rec.floor_next == in.rec.build[a]);
            CHECK(bootsel_floor_bump(&in.rec, a, &fp) == BS_OK && fp.rec.floor == in.rec.build[a]);
        }
        for (k = 0; k < sizeof(buf); k++) {
            buf[k] = (uint8_t)rnd32(&s);
        }
        (void)meta_parse(buf, &rec);
        meta_serialize(&in.rec, buf);
        CHECK(meta_parse(buf, &rec) == 1);
    }
    printf("fuzz decide+parse 200000 ok\n");
}

int main(int argc, char **argv)
{
    hdev_t *d;
    h_boot_t r;
    uint32_t v[13];
    int i;

    if (argc != 14) {
        fprintf(stderr, "usage: %s chip page unit erased meta_a meta_b ev_base ev_size slot_a "
                        "slot_b slot_size attempts chunk\n", argv[0]);
        return 2;
    }
    for (i = 0; i < 13; i++) {
        v[i] = (uint32_t)strtoul(argv[i + 1], NULL, 0);
    }
    G.chip = (int)v[0];
    G.page_size = v[1];
    G.program_unit = v[2];
    G.erased_value = v[3];
    G.meta_a = v[4];
    G.meta_b = v[5];
    G.ev_base = v[6];
    G.ev_size = v[7];
    G.slot_a = v[8];
    G.slot_b = v[9];
    G.slot_size = v[10];
    G.max_attempts = v[11];
    G.chunk = v[12];
    d = h_create(&G);
    CHECK(d != NULL);
    CHECK(h_factory(d, 0, 1, 0xA1, LEN) == 0);
    sweep("adopt", d, t_adopt, c_adopt, 0);
    CHECK(h_boot(d, &r) == H_OK && r.slot == 0);
    fs_protect(h_fs(d), G.slot_a, G.slot_size);
    sweep("install", d, t_install, c_install, 0);
    CHECK(h_upload(d, 1, 2, 0xB2, LEN, 1000, NULL) == 0);
    fs_protect(h_fs(d), 0, 0);
    sweep("attempts", d, t_attempts, c_attempts, 0);
    CHECK(boot(d, &r) == H_OK && r.trial && r.slot == 1);
    sweep("confirm", d, t_confirm, c_confirm, 1);
    ring_sweep(d);
    fuzz();
    h_destroy(d);
    return 0;
}
