/*
 * flashsim.c - host flash simulator (see flashsim.h).
 */
#include "flashsim.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PROTECT 4

typedef struct {
    uint8_t *cells;
    uint8_t *torn;   /* per unit */
    uint8_t *erased; /* per page (LPC: blank flag) */
} fs_state_t;

struct flashsim {
    int chip;
    uint32_t base, size, page, unit, erased_value;
    uint32_t nunits, npages;
    fs_state_t st;
    fs_state_t saved[FS_SAVE_SLOTS];
    uint32_t ops;
    uint32_t cut_op;
    int armed, torn_mode, dead;
    uint64_t rng;
    uint32_t prot_lo[MAX_PROTECT], prot_hi[MAX_PROTECT];
    int nprot;
    uint32_t violations;
    uint32_t erases;
};

static uint64_t rnd(flashsim_t *fs)
{
    uint64_t x = fs->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fs->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int alloc_state(flashsim_t *fs, fs_state_t *s)
{
    s->cells = malloc(fs->size);
    s->torn = calloc(fs->nunits, 1);
    s->erased = calloc(fs->npages, 1);
    return s->cells != NULL && s->torn != NULL && s->erased != NULL;
}

static void free_state(fs_state_t *s)
{
    free(s->cells);
    free(s->torn);
    free(s->erased);
    s->cells = s->torn = s->erased = NULL;
}

flashsim_t *fs_create(int chip, uint32_t base, uint32_t size, uint32_t page_size,
                      uint32_t program_unit, uint32_t erased_value)
{
    flashsim_t *fs;
    int i;

    if ((chip != FS_CHIP_STM32U585 && chip != FS_CHIP_LPC55S69) || page_size == 0 ||
        program_unit == 0 || page_size % program_unit != 0 || size % page_size != 0 ||
        size == 0 || erased_value > 0xFF || base % page_size != 0) {
        return NULL;
    }
    fs = calloc(1, sizeof(*fs));
    if (fs == NULL) {
        return NULL;
    }
    fs->chip = chip;
    fs->base = base;
    fs->size = size;
    fs->page = page_size;
    fs->unit = program_unit;
    fs->erased_value = erased_value;
    fs->nunits = size / program_unit;
    fs->npages = size / page_size;
    if (!alloc_state(fs, &fs->st)) {
        fs_destroy(fs);
        return NULL;
    }
    memset(fs->st.cells, (int)erased_value, size);
    memset(fs->st.erased, 1, fs->npages);
    for (i = 0; i < FS_SAVE_SLOTS; i++) {
        fs->saved[i].cells = NULL;
    }
    fs->rng = 0x9E3779B97F4A7C15ULL;
    return fs;
}

void fs_destroy(flashsim_t *fs)
{
    int i;

    if (fs == NULL) {
        return;
    }
    free_state(&fs->st);
    for (i = 0; i < FS_SAVE_SLOTS; i++) {
        free_state(&fs->saved[i]);
    }
    free(fs);
}

static int in_range(const flashsim_t *fs, uint32_t addr, uint32_t len)
{
    return addr >= fs->base && len <= fs->size && addr - fs->base <= fs->size - len;
}

static int protected_range(flashsim_t *fs, uint32_t off, uint32_t len)
{
    uint32_t a = fs->base + off;
    int i;

    for (i = 0; i < fs->nprot; i++) {
        if (a < fs->prot_hi[i] && a + len > fs->prot_lo[i]) {
            fs->violations++;
            return 1;
        }
    }
    return 0;
}

/* Start one op: returns 1 if it runs normally, 0 if power is (now) gone; *tear set when this
 * op is the torn one. */
static int op_begin(flashsim_t *fs, int *tear)
{
    *tear = 0;
    if (fs->dead) {
        return 0;
    }
    if (fs->armed && fs->ops == fs->cut_op) {
        fs->dead = 1;
        fs->armed = 0;
        fs->ops++;
        *tear = fs->torn_mode;
        return 0;
    }
    fs->ops++;
    return 1;
}

static void tear_erase(flashsim_t *fs, uint32_t off)
{
    uint32_t u;
    uint32_t k;
    int all_erased = 1;

    for (u = off; u < off + fs->page; u += fs->unit) {
        uint64_t fate = rnd(fs) % 3u;
        uint8_t *c = fs->st.cells + u;
        if (fate == 0) {
            memset(c, (int)fs->erased_value, fs->unit);
            fs->st.torn[u / fs->unit] = 0;
        } else if (fate == 2) {
            for (k = 0; k < fs->unit; k++) {
                uint8_t r = (uint8_t)rnd(fs);
                c[k] = (fs->chip == FS_CHIP_STM32U585) ? (uint8_t)(c[k] | r) : (uint8_t)(c[k] & r);
            }
            fs->st.torn[u / fs->unit] = 1;
            all_erased = 0;
        } else if (!fs->st.erased[off / fs->page]) {
            all_erased = 0; /* keeps old (programmed) data */
        }
    }
    fs->st.erased[off / fs->page] = (uint8_t)all_erased;
}

int fs_erase(void *ctx, uint32_t addr)
{
    flashsim_t *fs = ctx;
    uint32_t off;
    int tear;

    if (fs == NULL || !in_range(fs, addr, fs->page) || (addr - fs->base) % fs->page != 0) {
        return FS_ERR_ARG;
    }
    off = addr - fs->base;
    if (!op_begin(fs, &tear)) {
        if (tear) {
            tear_erase(fs, off);
        }
        return FS_ERR_POWER;
    }
    if (protected_range(fs, off, fs->page)) {
        return fs->chip == FS_CHIP_STM32U585 ? FS_ERR_WRPERR : FS_ERR_FAIL;
    }
    memset(fs->st.cells + off, (int)fs->erased_value, fs->page);
    memset(fs->st.torn + off / fs->unit, 0, fs->page / fs->unit);
    fs->st.erased[off / fs->page] = 1;
    fs->erases++;
    return FS_OK;
}

static int all_value(const uint8_t *p, uint32_t n, uint8_t v)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != v) {
            return 0;
        }
    }
    return 1;
}

/* Program one unit at off. Returns FS_OK or an error. */
static int program_unit(flashsim_t *fs, uint32_t off, const uint8_t *data)
{
    uint8_t *c = fs->st.cells + off;
    uint32_t k;
    int tear;

    if (!op_begin(fs, &tear)) {
        if (tear) {
            for (k = 0; k < fs->unit; k++) {
                uint8_t r = (uint8_t)rnd(fs);
                c[k] = (fs->chip == FS_CHIP_STM32U585) ? (uint8_t)(c[k] & (data[k] | r))
                                                       : (uint8_t)(c[k] | (data[k] & r));
            }
            fs->st.torn[off / fs->unit] = 1;
            fs->st.erased[off / fs->page] = 0;
        }
        return FS_ERR_POWER;
    }
    if (protected_range(fs, off, fs->unit)) {
        return fs->chip == FS_CHIP_STM32U585 ? FS_ERR_WRPERR : FS_ERR_FAIL;
    }
    if (fs->chip == FS_CHIP_STM32U585) {
        if (!all_value(c, fs->unit, 0xFF) && !all_value(data, fs->unit, 0x00)) {
            return FS_ERR_PROGERR;
        }
    } else if (!fs->st.erased[off / fs->page]) {
        return FS_ERR_FAIL;
    }
    memcpy(c, data, fs->unit);
    fs->st.torn[off / fs->unit] = 0;
    fs->st.erased[off / fs->page] = 0;
    return FS_OK;
}

int fs_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    flashsim_t *fs = ctx;
    uint32_t off;
    uint32_t i;
    int rc;

    if (fs == NULL || data == NULL || len == 0 || !in_range(fs, addr, len) ||
        (addr - fs->base) % fs->unit != 0 || len % fs->unit != 0) {
        return FS_ERR_ARG;
    }
    off = addr - fs->base;
    for (i = 0; i < len; i += fs->unit) {
        rc = program_unit(fs, off + i, (const uint8_t *)data + i);
        if (rc != FS_OK) {
            return rc;
        }
    }
    return FS_OK;
}

int fs_read(void *ctx, uint32_t addr, void *data, uint32_t len)
{
    flashsim_t *fs = ctx;
    uint32_t off;
    uint32_t u;
    uint32_t p;
    int erased = 0;

    if (fs == NULL || data == NULL || len == 0 || !in_range(fs, addr, len)) {
        return FS_ERR_ARG;
    }
    if (fs->dead) {
        return FS_ERR_POWER;
    }
    off = addr - fs->base;
    memcpy(data, fs->st.cells + off, len);
    for (u = off / fs->unit; u <= (off + len - 1) / fs->unit; u++) {
        if (fs->st.torn[u]) {
            return FS_ERR_ECC;
        }
    }
    if (fs->chip == FS_CHIP_LPC55S69) {
        for (p = off / fs->page; p <= (off + len - 1) / fs->page; p++) {
            erased |= fs->st.erased[p];
        }
        if (erased) {
            return FS_ERR_ERASED;
        }
    }
    return FS_OK;
}

void fs_arm_cut(flashsim_t *fs, uint32_t op, uint32_t seed, int torn)
{
    fs->armed = 1;
    fs->cut_op = op;
    fs->torn_mode = torn ? 1 : 0;
    fs->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed * 0xD1B54A32D192ED03ULL);
    if (fs->rng == 0) {
        fs->rng = 1;
    }
}

void fs_disarm(flashsim_t *fs)
{
    fs->armed = 0;
}

uint32_t fs_ops(const flashsim_t *fs)
{
    return fs->ops;
}

void fs_reset_ops(flashsim_t *fs)
{
    fs->ops = 0;
}

int fs_dead(const flashsim_t *fs)
{
    return fs->dead;
}

void fs_power_on(flashsim_t *fs)
{
    fs->dead = 0;
    fs->armed = 0;
}

int fs_save(flashsim_t *fs, int slot)
{
    fs_state_t *s;

    if (fs == NULL || slot < 0 || slot >= FS_SAVE_SLOTS) {
        return FS_ERR_ARG;
    }
    s = &fs->saved[slot];
    if (s->cells == NULL && !alloc_state(fs, s)) {
        free_state(s);
        return FS_ERR_ARG;
    }
    memcpy(s->cells, fs->st.cells, fs->size);
    memcpy(s->torn, fs->st.torn, fs->nunits);
    memcpy(s->erased, fs->st.erased, fs->npages);
    return FS_OK;
}

int fs_restore(flashsim_t *fs, int slot)
{
    fs_state_t *s;

    if (fs == NULL || slot < 0 || slot >= FS_SAVE_SLOTS || fs->saved[slot].cells == NULL) {
        return FS_ERR_ARG;
    }
    s = &fs->saved[slot];
    memcpy(fs->st.cells, s->cells, fs->size);
    memcpy(fs->st.torn, s->torn, fs->nunits);
    memcpy(fs->st.erased, s->erased, fs->npages);
    fs->dead = 0;
    fs->armed = 0;
    return FS_OK;
}

void fs_protect(flashsim_t *fs, uint32_t addr, uint32_t len)
{
    if (len == 0) {
        fs->nprot = 0;
        return;
    }
    if (fs->nprot < MAX_PROTECT) {
        fs->prot_lo[fs->nprot] = addr;
        fs->prot_hi[fs->nprot] = addr + len;
        fs->nprot++;
    }
}

uint32_t fs_violations(const flashsim_t *fs)
{
    return fs->violations;
}

int fs_raw(const flashsim_t *fs, uint32_t addr, void *data, uint32_t len)
{
    if (fs == NULL || data == NULL || !in_range(fs, addr, len)) {
        return FS_ERR_ARG;
    }
    memcpy(data, fs->st.cells + (addr - fs->base), len);
    return FS_OK;
}

int fs_is_torn(const flashsim_t *fs, uint32_t addr)
{
    if (fs == NULL || !in_range(fs, addr, 1)) {
        return 0;
    }
    return fs->st.torn[(addr - fs->base) / fs->unit];
}

uint32_t fs_erase_count(const flashsim_t *fs)
{
    return fs->erases;
}
