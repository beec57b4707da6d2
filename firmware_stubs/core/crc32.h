/*
 * crc32.h - CRC-32/ISO-HDLC (the zlib / PNG / Ethernet CRC).
 *
 * Parameters: poly 0x04C11DB7 (reflected 0xEDB88320), init 0xFFFFFFFF, refin/refout true,
 * xorout 0xFFFFFFFF. check("123456789") = 0xCBF43926. Identical to Python's zlib.crc32().
 */
#ifndef OTA_CORE_CRC32_H
#define OTA_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * crc32_update - continue a CRC over `len` bytes of `data`.
 * `crc` is a previous return value of this function, or 0 to start a new CRC
 * (the init/xorout handling is internal, like zlib.crc32(data, crc)).
 * `data` may be NULL only when `len` is 0.
 * Returns: the CRC of everything fed so far (never fails).
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

/*
 * crc32_compute - CRC of one buffer (crc32_update(0, data, len)).
 * Returns: the CRC (never fails).
 */
uint32_t crc32_compute(const void *data, size_t len);

#endif /* OTA_CORE_CRC32_H */
