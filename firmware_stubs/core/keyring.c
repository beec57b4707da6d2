/*
 * keyring.c - trust anchor parsing and key lookup (see keyring.h for the format and the
 * decision table). No heap, no recursion; loops bounded by KR_MAX_KEYS.
 */
#include "keyring.h"

#include <string.h>

#include "crc32.h"

/* Little-endian loads from a buffer the caller has bounds-checked. Return the value. */
static uint32_t kr_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint16_t kr_le16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

/* See keyring.h. Returns nothing. */
void keyring_init_empty(keyring_t *kr)
{
    memset(kr, 0, sizeof(*kr));
}

/* See keyring.h. Returns the declared anchor size or 0. */
size_t keyring_anchor_size(const uint8_t head[KR_HEAD_BYTES])
{
    uint32_t count;

    if (head == NULL) {
        return 0u;
    }
    count = kr_le16(&head[6]); /* ATTACKER: range-checked before use */
    if (count > KR_MAX_KEYS) {
        return 0u;
    }
    return (size_t)KR_HEAD_BYTES + (size_t)count * KR_ENTRY_BYTES;
}

/* See keyring.h. Returns KR_OK or a KR_ERR_* code. */
int keyring_parse(const uint8_t *buf, size_t len, keyring_t *kr)
{
    uint32_t count;
    uint32_t crc;
    uint32_t i;
    size_t need;

    if (kr == NULL) {
        return KR_ERR_ARG;
    }
    keyring_init_empty(kr);
    if (buf == NULL) {
        return KR_ERR_ARG;
    }
    if (len < KR_HEAD_BYTES) {
        return KR_ERR_SHORT;
    }
    if (kr_le32(&buf[0]) != KR_MAGIC) {
        return KR_ERR_MAGIC;
    }
    if (kr_le16(&buf[4]) != KR_VERSION) {
        return KR_ERR_VERSION;
    }
    count = kr_le16(&buf[6]); /* ATTACKER: sizes the entry table, checked here */
    if (count > KR_MAX_KEYS) {
        return KR_ERR_COUNT;
    }
    need = (size_t)KR_HEAD_BYTES + (size_t)count * KR_ENTRY_BYTES; /* <= KR_MAX_BYTES */
    if (len < need) {
        return KR_ERR_SHORT;
    }
    crc = crc32_update(0u, buf, 16u);
    crc = crc32_update(crc, &buf[KR_HEAD_BYTES], (size_t)count * KR_ENTRY_BYTES);
    if (crc != kr_le32(&buf[16])) {
        return KR_ERR_CRC;
    }
    kr->floor = kr_le32(&buf[8]);
    kr->hw_compat = kr_le32(&buf[12]);
    for (i = 0; i < count; i++) {
        const uint8_t *e = &buf[KR_HEAD_BYTES + i * KR_ENTRY_BYTES];
        kr->keys[i].key_id = kr_le32(&e[0]);
        kr->keys[i].flags = kr_le32(&e[4]);
        memcpy(kr->keys[i].pub, &e[8], sizeof(kr->keys[i].pub));
    }
    kr->count = count;
    return KR_OK;
}

/* See keyring.h. Returns KR_KEY_FOUND, KR_KEY_UNKNOWN or KR_KEY_REVOKED. */
kr_lookup_t keyring_lookup(const keyring_t *kr, uint32_t key_id, const kr_key_t **key)
{
    const kr_key_t *allowed = NULL;
    uint32_t n;
    uint32_t i;

    if (key != NULL) {
        *key = NULL;
    }
    if (kr == NULL) {
        return KR_KEY_UNKNOWN;
    }
    n = kr->count <= KR_MAX_KEYS ? kr->count : KR_MAX_KEYS;
    /*
     * | entries with key_id                        | result          |
     * |--------------------------------------------|-----------------|
     * | none                                       | KR_KEY_UNKNOWN  |
     * | any has REVOKED (whatever else is set)     | KR_KEY_REVOKED  |
     * | some ALLOWED, none REVOKED                 | KR_KEY_FOUND    |
     * | only entries with neither flag             | KR_KEY_UNKNOWN  |
     */
    for (i = 0; i < n; i++) {
        const kr_key_t *k = &kr->keys[i];
        if (k->key_id != key_id) {
            continue;
        }
        if ((k->flags & KR_FLAG_REVOKED) != 0u) {
            return KR_KEY_REVOKED;
        }
        if ((k->flags & KR_FLAG_ALLOWED) != 0u && allowed == NULL) {
            allowed = k;
        }
    }
    if (allowed == NULL) {
        return KR_KEY_UNKNOWN;
    }
    if (key != NULL) {
        *key = allowed;
    }
    return KR_KEY_FOUND;
}

/* See keyring.h. Returns a static name. */
const char *keyring_err_name(int err)
{
    switch (err) {
    case KR_OK:          return "ok";
    case KR_ERR_ARG:     return "bad_arg";
    case KR_ERR_SHORT:   return "short";
    case KR_ERR_MAGIC:   return "bad_magic";
    case KR_ERR_VERSION: return "bad_version";
    case KR_ERR_COUNT:   return "bad_count";
    case KR_ERR_CRC:     return "bad_crc";
    case KR_ERR_READ:    return "read_error";
    default:             return "unknown";
    }
}
