/*
 * port_common.c - chip-independent parts of the port API (names, UART write loop, reset,
 * jump checks). Compiled per platform because it uses platform_gen.h.
 */
#include "cm33.h"
#include "platform_gen.h"
#include "port.h"

/* See port.h. Returns a static name ("unknown" for an unlisted code). */
const char *port_err_name(int err)
{
    switch (err) {
    case PORT_OK:          return "ok";
    case PORT_ERR_BADARG:  return "badarg";
    case PORT_ERR_LOCKED:  return "locked";
    case PORT_ERR_GATED:   return "gated";
    case PORT_ERR_TIMEOUT: return "timeout";
    case PORT_ERR_OPERR:   return "operr";
    case PORT_ERR_PROGERR: return "progerr";
    case PORT_ERR_WRPERR:  return "wrperr";
    case PORT_ERR_PGAERR:  return "pgaerr";
    case PORT_ERR_SIZERR:  return "sizerr";
    case PORT_ERR_PGSERR:  return "pgserr";
    case PORT_ERR_FAIL:    return "fail";
    case PORT_ERR_ERR:     return "err";
    case PORT_ERR_ECC:     return "ecc";
    case PORT_ERR_ERASED:  return "erased";
    case PORT_ERR_FAULT:   return "fault";
    default:               return "unknown";
    }
}

/* See port.h. Returns the evidence name of the cause. */
const char *port_reset_cause_name(port_reset_cause_t cause)
{
    switch (cause) {
    case PORT_RESET_POWER_ON: return "power-on";
    case PORT_RESET_BROWNOUT: return "brownout";
    case PORT_RESET_WATCHDOG: return "watchdog";
    case PORT_RESET_SOFTWARE: return "software";
    case PORT_RESET_PIN:      return "pin";
    default:                  return "unknown";
    }
}

/* See port.h. Returns PORT_OK or PORT_ERR_TIMEOUT. */
int port_uart_write(const char *data, size_t len)
{
    size_t i;

    if (data == NULL) {
        return PORT_OK;
    }
    for (i = 0; i < len; i++) {
        int rc = port_uart_putc((uint8_t)data[i]);
        if (rc != PORT_OK) {
            return rc;
        }
    }
    return PORT_OK;
}

/* See port.h. Does not return. */
void port_system_reset(void)
{
    (void)port_uart_flush();
    cm33_system_reset();
}

/* Returns 1 if [addr, addr+len) lies inside the flash, else 0. */
static int in_flash(uint32_t addr, uint32_t len)
{
    /* Unsigned offset: an address below the base wraps to a huge offset and fails. */
    return len <= PLAT_FLASH_SIZE && (uint32_t)(addr - PLAT_FLASH_BASE) <= PLAT_FLASH_SIZE - len;
}

/* See port.h. Returns PORT_ERR_BADARG when a check fails; otherwise does not return. */
int port_jump(uint32_t vtor)
{
    uint32_t msp;
    uint32_t entry;

    if ((vtor & 0x7Fu) != 0u || !in_flash(vtor, 8u)) {
        return PORT_ERR_BADARG;
    }
    /* Read through the tolerant reader: an erased or torn slot must not crash us. */
    if (port_flash_read(vtor, &msp) != PORT_OK || port_flash_read(vtor + 4u, &entry) != PORT_OK) {
        return PORT_ERR_BADARG;
    }
    if (msp <= PLAT_RAM_BASE || msp - PLAT_RAM_BASE > PLAT_RAM_SIZE || (msp & 7u) != 0u) {
        return PORT_ERR_BADARG;
    }
    if ((entry & 1u) == 0u || !in_flash(entry & ~1u, 2u)) {
        return PORT_ERR_BADARG;
    }
    (void)port_uart_flush();
    cm33_start_image(vtor, msp, entry);
}

/* See port.h. Returns PORT_OK, PORT_ERR_ECC, PORT_ERR_FAULT or PORT_ERR_BADARG. */
int port_cpu_peek(uint32_t addr, uint32_t *value)
{
    uint32_t outcome = CM33_GUARD_NONE;
    uint32_t v;

    if (value == NULL || (addr & 3u) != 0u) {
        return PORT_ERR_BADARG;
    }
    v = cm33_guarded_load32(addr, &outcome);
    *value = (outcome == CM33_GUARD_NONE) ? v : 0u;
    if (outcome == CM33_GUARD_ECC) {
        return PORT_ERR_ECC;
    }
    return (outcome == CM33_GUARD_NONE) ? PORT_OK : PORT_ERR_FAULT;
}

/*
 * One word through port_flash_read into dst[0..n), bytes [skip, skip+n) of the word at
 * a - skip (little endian). PORT_ERR_ERASED sets *erased and is data.
 * Returns PORT_OK or the port_flash_read error.
 */
static int read_partial(uint32_t a, uint8_t *dst, uint32_t skip, uint32_t n, int *erased)
{
    uint32_t v = 0;
    uint32_t i;
    int rc = port_flash_read(a - skip, &v); /* PORT_ERR_ERASED: v = the erased pattern */

    if (rc == PORT_ERR_ERASED) {
        *erased = 1;
    } else if (rc != PORT_OK) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        dst[i] = (uint8_t)(v >> (8u * (skip + i))); /* little endian */
    }
    return PORT_OK;
}

/* See port.h. Returns PORT_OK, PORT_ERR_BADARG or the first non-erased read error. */
int port_flash_read_block(uint32_t addr, void *buf, uint32_t len)
{
    return port_flash_read_span(addr, buf, len, NULL);
}

/* See port.h. Returns PORT_OK, PORT_ERR_BADARG or the first non-erased read error. */
int port_flash_read_span(uint32_t addr, void *buf, uint32_t len, int *erased)
{
    uint8_t *dst = (uint8_t *)buf;
    uint32_t done = 0;
    int seen = 0;

    if (erased != NULL) {
        *erased = 0;
    }
    if (len == 0u) {
        return PORT_OK;
    }
    if (buf == NULL || !in_flash(addr, len)) {
        return PORT_ERR_BADARG;
    }
    while (done < len) {
        uint32_t a = addr + done;
        uint32_t skip = a & 3u;       /* bytes of the word before `a` */
        uint32_t n = 4u - skip;       /* bytes of this word we want */
        int rc;

        if (skip == 0u && len - done >= 4u && ((uintptr_t)&dst[done] & 3u) == 0u) {
            /* whole words into an aligned buffer: [a, a + 4 * words) is inside the flash
             * (in_flash above) */
            uint32_t words = (len - done) / 4u;
            rc = port_flash_read_words(a, (uint32_t *)(void *)&dst[done], words, &seen);
            if (rc != PORT_OK) {
                return rc;
            }
            done += words * 4u;
            continue;
        }
        if (n > len - done) {
            n = len - done;
        }
        rc = read_partial(a, &dst[done], skip, n, &seen);
        if (rc != PORT_OK) {
            return rc;
        }
        done += n;
    }
    if (erased != NULL) {
        *erased = seen;
    }
    return PORT_OK;
}
