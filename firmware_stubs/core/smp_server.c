/*
 * smp_server.c - MCUmgr SMP server: header, dispatch, OS and image groups (see smp_server.h).
 *
 * One translation unit in three files, so that the compiler sees every static handler next
 * to the dispatcher it inlines into (the server's instruction counts are part of the
 * evidence): smp_server_req.h (the request context, field parsing, response building) and
 * smp_server_groups.h (the OS and image group handlers) are internal to this file and
 * included once, below, in that order. Everything in a request is attacker-controlled.
 */
#include "smp_server.h"

#include "cbor.h"

#define OTA_CORE_SMP_SERVER_UNIT 1 /* the internal parts check it */
#include "smp_server_req.h"
#include "smp_server_groups.h"

/* Dispatch on (group, id, op). Returns 0 (response payload written) or -1 (q->err set). */
static int dispatch(req_t *q, const uint8_t *p, size_t n)
{
    uint8_t op = q->hdr.op;

    if (q->hdr.group == SMP_GROUP_OS) {
        if (q->hdr.id == SMP_OS_ECHO) {
            return os_echo(q, p, n);
        }
        if (q->hdr.id == SMP_OS_RESET && op == SMP_OP_WRITE) {
            return os_reset(q, p, n);
        }
        if (q->hdr.id == SMP_OS_PARAMS && op == SMP_OP_READ) {
            return os_params(q, p, n);
        }
        if (q->hdr.id == SMP_OS_BOOTLOADER && op == SMP_OP_READ) {
            return os_bootloader(q, p, n);
        }
    } else if (q->hdr.group == SMP_GROUP_IMAGE) {
        if (q->hdr.id == SMP_IMG_STATE) {
            if (op == SMP_OP_READ) {
                field_val_t v[1];
                if (parse_map(q, p, n, NULL, v, 0) != 0) {
                    return -1;
                }
                return img_state_rsp(q);
            }
            return img_state_write(q, p, n);
        }
        if (q->hdr.id == SMP_IMG_UPLOAD && op == SMP_OP_WRITE) {
            return img_upload(q, p, n);
        }
        if (q->hdr.id == SMP_IMG_ERASE && op == SMP_OP_WRITE) {
            return img_erase(q, p, n);
        }
    }
    return fail(q, SMP_MGMT_ENOTSUP, 0, "not supported");
}

/* ---- public API ---- */

/* See smp_server.h. Returns SMP_OK or SMP_ERR_ARG. */
int smp_server_init(smp_server_t *s, const smp_image_ops_t *ops, void *ops_ctx,
                    smp_frame_emit_fn out, void *out_ctx)
{
    if (s == NULL || ops == NULL || out == NULL || ops->upload_begin == NULL ||
        ops->upload_write == NULL || ops->upload_end == NULL || ops->state_read == NULL ||
        ops->state_write == NULL) {
        return SMP_ERR_ARG;
    }
    smp_frame_rx_init(&s->rx);
    s->ops = ops;
    s->ops_ctx = ops_ctx;
    s->out = out;
    s->out_ctx = out_ctx;
    s->up.image = 0;
    s->up.total_len = 0;
    s->up.off = 0;
    s->up.sha_len = 0;
    s->up_known = 0;
    s->up_active = 0;
    s->reset_pending = 0;
    s->requests = 0;
    s->errors = 0;
    return SMP_OK;
}

/* Read the 8-byte header (attacker-controlled). */
static void read_hdr(const uint8_t *m, smp_hdr_t *h)
{
    h->op = (uint8_t)(m[0] & 0x7u);
    h->ver = (uint8_t)((m[0] >> 3) & 0x3u);
    h->len = (uint16_t)(((uint16_t)m[2] << 8) | m[3]);
    h->group = (uint16_t)(((uint16_t)m[4] << 8) | m[5]);
    h->seq = m[6];
    h->id = m[7];
}

/* See smp_server.h. Returns 1 (response built), 0 (no response) or SMP_ERR_ARG. */
int smp_server_process(smp_server_t *s, const uint8_t *req, size_t len, uint8_t *rsp,
                       size_t cap, size_t *rsp_len)
{
    req_t q;
    size_t n;

    if (s == NULL || s->ops == NULL || (req == NULL && len > 0u) || rsp == NULL ||
        rsp_len == NULL || cap < SMP_HDR_SIZE + 32u) {
        return SMP_ERR_ARG;
    }
    *rsp_len = 0;
    if (len < SMP_HDR_SIZE) {
        return 0;
    }
    q.s = s;
    q.rsp = rsp;
    q.cap = (cap > SMP_MSG_MAX) ? SMP_MSG_MAX : cap;
    q.failed = 0;
    q.err.mgmt = 0;
    q.err.img = 0;
    q.err.rsn = NULL;
    read_hdr(req, &q.hdr);
    if (q.hdr.op != SMP_OP_READ && q.hdr.op != SMP_OP_WRITE) {
        return 0; /* a response or garbage: never answer it */
    }
    rsp_begin(&q);
    if (q.hdr.ver > SMP_VER_2) {
        q.hdr.ver = SMP_VER_2;
        (void)fail(&q, SMP_MGMT_TOO_NEW, 0, "version");
    } else if ((size_t)q.hdr.len != len - SMP_HDR_SIZE) {
        (void)fail(&q, SMP_MGMT_EINVAL, 0, "length");
    } else if (dispatch(&q, req + SMP_HDR_SIZE, len - SMP_HDR_SIZE) == 0 && q.w.overflow) {
        s->reset_pending = 0;
        (void)fail(&q, SMP_MGMT_EMSGSIZE, 0, "response too large");
    }
    if (q.failed) {
        s->reset_pending = 0;
        s->errors++;
        n = rsp_error(&q);
    } else {
        n = rsp_finish(&q, q.w.len);
    }
    s->requests++;
    *rsp_len = n;
    return 1;
}

/* See smp_server.h. No return value. */
void smp_server_after_response(smp_server_t *s)
{
    if (s == NULL || !s->reset_pending) {
        return;
    }
    s->reset_pending = 0;
    if (s->ops != NULL && s->ops->reset != NULL) {
        s->ops->reset(s->ops_ctx);
    }
}

/* See smp_server.h. No return value. */
void smp_server_upload_forget(smp_server_t *s)
{
    if (s != NULL) {
        s->up_known = 0;
        s->up_active = 0;
    }
}

/* See smp_server.h. Returns the size. */
size_t smp_server_sizeof(void)
{
    return sizeof(smp_server_t);
}

/* Answer a dropped frame whose (untrusted) header looks like a request. */
static void answer_dropped(smp_server_t *s, int mgmt, const char *rsn)
{
    req_t q;
    size_t n;

    if (s->rx.msg_len < SMP_HDR_SIZE) {
        return;
    }
    q.s = s;
    q.rsp = s->rsp;
    q.cap = sizeof s->rsp;
    read_hdr(s->rx.buf, &q.hdr);
    if ((q.hdr.op != SMP_OP_READ && q.hdr.op != SMP_OP_WRITE) || q.hdr.ver > SMP_VER_2) {
        return;
    }
    (void)fail(&q, mgmt, 0, rsn);
    n = rsp_error(&q);
    s->errors++;
    (void)smp_frame_encode(s->rsp, n, s->out, s->out_ctx);
}

/* See smp_server.h. Returns SMP_RX_TEXT / SMP_RX_MORE / SMP_RX_FRAME / SMP_RX_ERR_*. */
int smp_server_feed(smp_server_t *s, int byte)
{
    size_t n = 0;
    int rc;

    if (s == NULL || s->ops == NULL) {
        return SMP_RX_MORE;
    }
    rc = smp_frame_rx_feed(&s->rx, byte);
    if (rc == SMP_RX_FRAME) {
        if (smp_server_process(s, s->rx.buf, s->rx.msg_len, s->rsp, sizeof s->rsp, &n) == 1) {
            (void)smp_frame_encode(s->rsp, n, s->out, s->out_ctx);
            smp_server_after_response(s);
        }
    } else if (rc == SMP_RX_ERR_CRC) {
        answer_dropped(s, SMP_MGMT_ECORRUPT, "crc");
    } else if (rc == SMP_RX_ERR_TOO_LARGE) {
        answer_dropped(s, SMP_MGMT_EMSGSIZE, "frame too large");
    }
    return rc;
}
