/*
 * port.h - the portable port API (contracts §4). One implementation per chip under
 * ports/<chip>/, plus Cortex-M33 helpers shared by both in ports/common/.
 *
 * Everything is polled (no interrupts are enabled); every wait loop is bounded.
 * Error codes are negative PORT_ERR_* values; port_err_name() maps them to the names used
 * in evidence (ERASE/PROG/READ result=...).
 */
#ifndef OTA_PORT_H
#define OTA_PORT_H

#include <stddef.h>
#include <stdint.h>

/* ---- error codes (names as in contracts §3, plus operr/timeout/ecc/erased/fault) ----- */
#define PORT_OK           0
#define PORT_ERR_BADARG  (-1)  /* "badarg": address/length/alignment/range not acceptable */
#define PORT_ERR_LOCKED  (-2)  /* "locked": the flash controller stayed locked after the keys */
#define PORT_ERR_GATED   (-3)  /* "gated": supply monitor reports low voltage; nothing started */
#define PORT_ERR_TIMEOUT (-4)  /* "timeout": a busy/done flag did not settle in the bound */
#define PORT_ERR_OPERR   (-5)  /* "operr": STM32 NSSR.OPERR */
#define PORT_ERR_PROGERR (-6)  /* "progerr": STM32 NSSR.PROGERR */
#define PORT_ERR_WRPERR  (-7)  /* "wrperr": STM32 NSSR.WRPERR */
#define PORT_ERR_PGAERR  (-8)  /* "pgaerr": STM32 NSSR.PGAERR */
#define PORT_ERR_SIZERR  (-9)  /* "sizerr": STM32 NSSR.SIZERR */
#define PORT_ERR_PGSERR  (-10) /* "pgserr": STM32 NSSR.PGSERR */
#define PORT_ERR_FAIL    (-11) /* "fail": LPC55 INT_STATUS.FAIL (legal command failed) */
#define PORT_ERR_ERR     (-12) /* "err": LPC55 INT_STATUS.ERR (illegal command) */
#define PORT_ERR_ECC     (-13) /* "ecc": uncorrectable ECC error on a read */
#define PORT_ERR_ERASED  (-14) /* "erased": the unit reads as erased (LPC55 blank check) */
#define PORT_ERR_FAULT   (-15) /* "fault": the read raised a bus fault / HardFault */

/*
 * port_err_name - evidence name of a PORT_* code.
 * Returns: a static string ("ok", "badarg", ...); "unknown" for other values.
 */
const char *port_err_name(int err);

/* ---- init / console UART ------------------------------------------------------------ */

/*
 * port_init - clocks and console UART (115200 8N1 polled), supply monitor enable
 * (STM32 PVD level 0 / LPC55 BODVBAT 2.0 V) and the backup-domain access the reset-cause
 * decoder needs. Safe to call again (the app re-initialises after the bootloader).
 * Returns: PORT_OK (never fails; clock/UART problems cannot be reported anyway).
 */
int port_init(void);

/*
 * port_clock_init - raise the core clock to the chip's run clock the way production firmware
 * does (voltage scaling, flash wait states, PLL, ready flags; ports/<chip>/clock.c), then
 * re-program the console UART's divisors for it. Waits for the UART to go idle first. Safe to
 * call when the clock already runs (the application after the bootloader).
 * Returns: PORT_OK, or PORT_ERR_TIMEOUT if a ready flag never rose (the clock is left at the
 *   reset clock, the UART keeps working).
 */
int port_clock_init(void);

/*
 * port_core_clock_hz - the core clock port_clock_init set (the reset clock before).
 * Returns: Hz.
 */
uint32_t port_core_clock_hz(void);

/*
 * port_uart_putc - send one byte, waiting (bounded) for room in the transmitter.
 * Returns: PORT_OK, or PORT_ERR_TIMEOUT if the transmitter never had room (byte dropped).
 */
int port_uart_putc(uint8_t c);

/*
 * port_uart_write - send `len` bytes with port_uart_putc.
 * Returns: PORT_OK or PORT_ERR_TIMEOUT (the rest of the buffer is dropped).
 */
int port_uart_write(const char *data, size_t len);

/*
 * port_uart_getc - non-blocking receive.
 * Returns: the byte (0..255), or -1 when nothing has been received.
 */
int port_uart_getc(void);

/*
 * port_uart_wait_rx - sleep (WFI, interrupts masked) until the console UART has received a
 * byte or about `max_ms` passed, whichever comes first. Returns at once when a byte waits.
 * Idle loops call it instead of spinning on port_uart_getc: an idle device costs nothing at
 * any core clock.
 * Returns: 1 when a byte waits (the caller reads it with port_uart_getc), 0 when the core
 * woke without one (`max_ms` passed, or, when the firmware runs SysTick itself, its tick).
 */
int port_uart_wait_rx(uint32_t max_ms);

/*
 * port_uart_flush - wait (bounded) until the last byte has left the transmitter
 * (before a reset).
 * Returns: PORT_OK or PORT_ERR_TIMEOUT.
 */
int port_uart_flush(void);

/* ---- reset cause / supply ------------------------------------------------------------ */

typedef enum {
    PORT_RESET_UNKNOWN = 0,
    PORT_RESET_POWER_ON,
    PORT_RESET_BROWNOUT,
    PORT_RESET_WATCHDOG,
    PORT_RESET_SOFTWARE,
    PORT_RESET_PIN,
} port_reset_cause_t;

/*
 * port_reset_cause - decode the chip's reset-cause register (contracts §3 priorities),
 * store the register value as read in *raw (may be NULL), then clear the flags so the next
 * reset starts clean. Call once per boot, after port_init().
 * Returns: the decoded cause (PORT_RESET_UNKNOWN if no known flag is set).
 */
port_reset_cause_t port_reset_cause(uint32_t *raw);

/*
 * port_reset_cause_name - evidence name of a cause.
 * Returns: "power-on", "brownout", "watchdog", "software", "pin" or "unknown".
 */
const char *port_reset_cause_name(port_reset_cause_t cause);

/*
 * port_supply_low - read the supply monitor (STM32 PWR_SVMSR.PVDO, LPC55 ANACTRL
 * BOD_DCDC_INT_STATUS.BODVBAT_VAL).
 * Returns: 1 if the supply is below the monitor threshold now, 0 otherwise.
 */
int port_supply_low(void);

/* ---- flash ---------------------------------------------------------------------------- */

/*
 * port_flash_erase_page - erase the page starting at `addr` (must be page aligned and
 * inside the flash). Refused with PORT_ERR_GATED, without
 * touching the controller, when port_supply_low() is 1.
 * Returns: PORT_OK, PORT_ERR_BADARG, PORT_ERR_GATED, PORT_ERR_LOCKED, PORT_ERR_TIMEOUT or
 *   a controller error (STM32: OPERR/PROGERR/WRPERR/PGAERR/SIZERR/PGSERR; LPC55: FAIL/ERR).
 */
int port_flash_erase_page(uint32_t addr);

/*
 * port_flash_program - program `len` bytes from `data` (32-bit aligned buffer) at `addr`.
 * `addr` must be aligned to PLAT_FLASH_PROGRAM_UNIT (STM32: 16-byte quad-word, LPC55: the
 * 512-byte page) and `len` a non-zero multiple of it, inside the flash. Each unit is
 * gated on the supply monitor before it starts.
 * Returns: PORT_OK or the same codes as port_flash_erase_page (ECC errors reported by the
 *   LPC55 controller map to PORT_ERR_ECC).
 */
int port_flash_program(uint32_t addr, const uint32_t *data, size_t len);

/*
 * port_flash_read - read one 32-bit word at `addr` (4-byte aligned, inside the flash)
 * without crashing on torn or erased units.
 *   STM32: a guarded load; a double ECC error (NMI) is absorbed by the NMI handler.
 *   LPC55: controller BLANK_CHECK (page) and READ_SINGLE_WORD before the load; a bus fault
 *          during the load is absorbed by the HardFault/BusFault handler. The last page that
 *          passed both (and read cleanly since) is remembered until the next erase/program
 *          through the port: later words of that page take the guarded load alone, and a
 *          fault there falls back to the full sequence.
 * *value receives the word on PORT_OK, the erased pattern on PORT_ERR_ERASED and 0 on the
 * other errors.
 * Returns: PORT_OK, PORT_ERR_BADARG, PORT_ERR_ECC, PORT_ERR_ERASED, PORT_ERR_FAULT,
 *   PORT_ERR_TIMEOUT, PORT_ERR_FAIL or PORT_ERR_ERR.
 */
int port_flash_read(uint32_t addr, uint32_t *value);

/*
 * port_flash_read_block - read `len` bytes at `addr` (any alignment, inside the flash) into
 * `buf` without crashing on torn or erased units, with the result port_flash_read would give
 * word by word. Erased units read as the erased pattern: PORT_ERR_ERASED is not an error here
 * (erased flash is data for a verifier, e.g. the erased tail after an image).
 * Fast path (word-aligned address and buffer): port_flash_read_words, a guarded block copy
 * (cm33_guarded_copy32) checked once per block (STM32: ECCR before and after; LPC55: one
 * BLANK_CHECK per page); only a block that did not read cleanly is re-read word by word
 * through port_flash_read, so the error and its word are exactly the word-by-word ones.
 * Unaligned head/tail bytes go through port_flash_read.
 * Returns: PORT_OK (len 0 included), PORT_ERR_BADARG (NULL buf, range outside the flash),
 *   or the first other port_flash_read error (PORT_ERR_ECC, _FAULT, _TIMEOUT, _FAIL, _ERR);
 *   the contents of `buf` are then unspecified.
 */
int port_flash_read_block(uint32_t addr, void *buf, uint32_t len);

/*
 * port_flash_read_span - port_flash_read_block that also tells whether the range held erased
 * units: *erased (may be NULL) receives 1 when port_flash_read would have returned
 * PORT_ERR_ERASED for a word of [addr, addr+len) (LPC55S69: a blank page; never on STM32U585,
 * whose erased cells are plain data), else 0 (the buffer holds the erased pattern there).
 * For tolerant byte readers that must report erased units (boot/bflash.c,
 * META_FLASH_ERASED) without reading word by word.
 * Returns: as port_flash_read_block (*erased is meaningful only with PORT_OK).
 */
int port_flash_read_span(uint32_t addr, void *buf, uint32_t len, int *erased);

/*
 * port_flash_read_words - chip part of port_flash_read_block (not for other callers):
 * `nwords` words at `addr` (word aligned, inside the flash: checked by the caller) into
 * `dst` (word aligned). Erased units give the erased pattern and are not an error; each one
 * sets *erased to 1 (erased is never NULL, the caller initialises it).
 * Returns: PORT_OK, or the first port_flash_read error other than PORT_ERR_ERASED.
 */
int port_flash_read_words(uint32_t addr, uint32_t *dst, uint32_t nwords, int *erased);

/*
 * port_cpu_peek - one plain CPU load of the 32-bit word at `addr` (4-byte aligned), with no
 * controller probe first, guarded so that what the chip raises is absorbed and reported:
 * the STM32U585 double-ECC NMI or the LPC55S69 bus fault on an erased or torn page.
 * *value receives the word on PORT_OK and 0 otherwise.
 * Returns: PORT_OK, PORT_ERR_ECC (ECC NMI hit the load), PORT_ERR_FAULT (bus fault hit the
 *   load) or PORT_ERR_BADARG (NULL value or misaligned address).
 */
int port_cpu_peek(uint32_t addr, uint32_t *value);

/* ---- watchdog / reset / jump ----------------------------------------------------------- */

/*
 * port_wdt_start - start the independent watchdog with a timeout of about `ms`
 * milliseconds (STM32 IWDG, LPC55 WWDT with WDRESET). Once started it cannot be stopped.
 * Returns: PORT_OK, or PORT_ERR_BADARG if `ms` is 0 or not reachable with the hardware
 *   dividers (nothing started).
 */
int port_wdt_start(uint32_t ms);

/* port_wdt_feed - reload the watchdog. No return value (a feed cannot fail). */
void port_wdt_feed(void);

/* port_system_reset - flush the UART and request a system reset (SCB AIRCR.SYSRESETREQ).
 * Does not return. */
void port_system_reset(void) __attribute__((noreturn));

/*
 * port_jump - start the image whose vector table is at `vtor`: set SCB VTOR, MSP = word 0,
 * branch to word 1. Checks first that vtor is 128-byte aligned and inside the flash, that
 * the initial MSP lies inside RAM (or at its end) and 8-byte aligned, and that the reset
 * vector is a Thumb address inside the flash.
 * Returns: only on a failed check, with PORT_ERR_BADARG.
 */
int port_jump(uint32_t vtor);

#endif /* OTA_PORT_H */
