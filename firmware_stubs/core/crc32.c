/*
 * crc32.c - CRC-32/ISO-HDLC, nibble-table implementation (64-byte table, no heap,
 * no recursion; a good size/speed trade for a bootloader).
 */
#include "crc32.h"

/* CRC of each 4-bit value with the reflected polynomial 0xEDB88320. */
static const uint32_t crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

/* See crc32.h. Returns the running CRC; never fails. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    size_t i;

    if (p == NULL) {
        return crc;
    }
    for (i = 0; i < len; i++) {
        c ^= p[i];
        c = (c >> 4) ^ crc32_nibble[c & 0x0Fu];
        c = (c >> 4) ^ crc32_nibble[c & 0x0Fu];
    }
    return ~c;
}

/* See crc32.h. Returns the CRC of the buffer; never fails. */
uint32_t crc32_compute(const void *data, size_t len)
{
    return crc32_update(0u, data, len);
}
