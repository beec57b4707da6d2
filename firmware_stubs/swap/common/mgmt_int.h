/*
 * mgmt_int.h - internal seam between the SMP dispatcher (mgmt.c) and the image group
 * (mgmt_img.c). Not for other callers.
 */
#ifndef SWAP_MGMT_INT_H
#define SWAP_MGMT_INT_H

#include "cbor.h"
#include "mgmt.h"

/* Return of a command handler: 0 = the writer holds the answer map; -1 = *e says why. */
typedef int (*mgmt_handler_fn)(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e);

/*
 * mgmt_map_each - walk the request map (definite or indefinite): for every text key, call
 * field(ctx, key, key_len, r) which must consume the value and return 0, return 1 to have it
 * skipped, or return -1 to fail with *e set. An empty payload counts as an empty map.
 * Returns: 0, or -1 with *e (EINVAL for malformed CBOR, non-text keys, duplicates are the
 * field callback's business).
 */
int mgmt_map_each(cbor_reader_t *r, mgmt_err_t *e,
                  int (*field)(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                               mgmt_err_t *e),
                  void *ctx);

/* mgmt_fail - fill *e and return -1 (handlers end with `return mgmt_fail(e, ...)`). */
int mgmt_fail(mgmt_err_t *e, int rc, int group_rc, const char *rsn);

/* Image group handlers (mgmt_img.c). */
int mgmt_img_state_read(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e);
int mgmt_img_state_write(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e);
int mgmt_img_upload(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e);
int mgmt_img_erase(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e);

/* mgmt_img_reset_session - forget an upload in progress (init, erase). No return. */
void mgmt_img_reset_session(void);

#endif /* SWAP_MGMT_INT_H */
