/*
 * harness.h - host device model for tests/meta (see harness.c). Test code only.
 */
#ifndef OTA_TESTS_META_HARNESS_H
#define OTA_TESTS_META_HARNESS_H

#include <stdint.h>

#include "bootsel.h"
#include "evring.h"
#include "flashsim.h"
#include "meta.h"

#define H_OK       0
#define H_DEAD     (-50) /* power was cut during the call */
#define H_ERR      (-51)
#define H_PARTIAL  1     /* h_upload stopped after max_chunks */
#define H_MAX_CHUNK 512u
#define H_LOG      512u  /* commit log entries kept for the tests */

typedef struct {
    int chip;
    uint32_t page_size, program_unit, erased_value;
    uint32_t meta_a, meta_b, ev_base, ev_size, slot_a, slot_b, slot_size;
    uint32_t max_attempts, chunk;
} h_geom_t;

typedef struct {
    int action;   /* bs_action_t after a failed commit's fallback; -1 before a decision */
    int slot;
    int trial;
    int jumped;   /* 1: the bootloader got to the jump / rescue entry */
    int commit_rc;
    int ring_rc;
    int floor_bumped; /* 1: a staged floor bump was completed (boot/bfloor.c) */
    int floor_rc;
    meta_load_t load;
    bs_output_t out;
} h_boot_t;

typedef struct hdev hdev_t;

hdev_t *h_create(const h_geom_t *g);
void h_destroy(hdev_t *d);
flashsim_t *h_fs(hdev_t *d);
void h_set_inputs(hdev_t *d, uint32_t anchor_floor, uint8_t rescue, uint8_t reset_cause);
int h_factory(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len);
int h_verify(hdev_t *d, uint8_t slot, bs_image_t *img);
int h_load(hdev_t *d, meta_load_t *out);
int h_boot(hdev_t *d, h_boot_t *res);
/* h_confirm: the CONFIRMED commit then the floor bump commit (as the app); h_confirm_only /
 * h_floor_bump: one of them. Return 0, a bootsel code, H_DEAD or a meta error. */
int h_confirm(hdev_t *d, uint8_t running);
int h_confirm_only(hdev_t *d, uint8_t running);
int h_floor_bump(hdev_t *d, uint8_t running);
int h_reject(hdev_t *d, uint8_t running);
int h_upload(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len,
             uint32_t max_chunks, uint32_t *resumed_at);
int h_chunk_ok(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len, uint32_t k);
uint32_t h_log_count(hdev_t *d);
int h_log_get(hdev_t *d, uint32_t i, meta_record_t *out);
void h_log_reset(hdev_t *d);
/* Format one bootsel event as an evidence line (src boot). Returns ev_format's result. */
int h_event_line(const bs_event_t *ev, uint32_t seq, char *out, uint32_t cap);
int h_ring_open(hdev_t *d);
/* h_ring_state / h_ring_resume: evring_state / evring_resume with the state as 4 words
 * (cur_page, cur_seq, next_slot, next_rec_seq). Return 0 or an EVR_ERR_* code. */
int h_ring_state(hdev_t *d, uint32_t out[4]);
int h_ring_resume(hdev_t *d, const uint32_t in[4]);
int h_ring_append(hdev_t *d, uint16_t kind, uint32_t v0);
int h_ring_flush(hdev_t *d);
uint32_t h_ring_guaranteed(hdev_t *d);
uint32_t h_ring_mode(hdev_t *d);
int h_ring_replay(hdev_t *d, evr_record_t *out, uint32_t cap);

#endif /* OTA_TESTS_META_HARNESS_H */
