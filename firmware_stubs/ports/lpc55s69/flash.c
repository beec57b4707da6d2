/*
 * flash.c - LPC55S69 internal flash on the FLASH controller registers (no ROM API).
 * targets.md §2.2/§2.3 b (LPC header, HUB = hubris lpc55-flash, Zephyr soc_flash_mcux.c,
 * pyOCD target_lpc5500.py).
 *
 * Every command: INT_CLR_STATUS = 0xF, STARTA/STOPA (word numbers = byte offset >> 4,
 * STOPA inclusive) and DATAW as needed, CMD, poll INT_STATUS.DONE (bounded), then
 * ERR / FAIL / ECC_ERR. Erase = ERASE_RANGE over one 512-byte page. Program = 32 x WRITE
 * (DATAW0-3 into row STARTA of the page register) then PROGRAM (STARTA = a word of the page).
 * Reads never touch an unreadable page on the bus: BLANK_CHECK and READ_SINGLE_WORD first
 * (like Zephyr's is_area_readable), then a guarded load as the last line of defence. The
 * last page found readable is remembered until the next erase/program (its words take the
 * guarded load alone); block reads take one BLANK_CHECK per page and a guarded copy.
 */
#include "mut_hooks.h"
#include "port.h"
#include "regs.h"

/* The supply gate of every erase/program (PORT_ERR_GATED when low). Returns 1 when the supply
 * monitor reports low; planted bug (item 13, core/mut_hooks.h): never evaluated, writes start
 * at low supply. */
#define FLASH_SUPPLY_LOW() (!MUT_HOOK_SKIP_BROWNOUT_GATE() && port_supply_low())

/* Word number of a flash byte address for STARTA/STOPA. */
#define FLASH_WORDNO(addr) ((((addr) - PLAT_FLASH_BASE) / FLASH_WORD_BYTES) & FLASH_WORD_MASK)

/* The erased word as software sees it on this chip (PLAT_FLASH_ERASED_VALUE repeated). */
#define ERASED_WORD (PLAT_FLASH_ERASED_VALUE * 0x01010101u)

/* No page remembered as readable (not a page address: pages are 512-byte aligned). */
#define LPC_NO_PAGE 0xFFFFFFFFu

/* The last page that passed BLANK_CHECK (programmed) and read cleanly since; forgotten at
 * every erase/program through the port and after any fault on it. Reads of it skip the two
 * controller commands (the guarded load stays: a fault there takes the full sequence). */
static uint32_t lpc_readable_page = LPC_NO_PAGE;

/* Returns 1 if [addr, addr+len) is inside the flash, else 0. */
static int flash_range_ok(uint32_t addr, uint32_t len)
{
    /* Unsigned offset: an address below the base wraps to a huge offset and fails. */
    return len != 0u && len <= PLAT_FLASH_SIZE && (uint32_t)(addr - PLAT_FLASH_BASE) <= PLAT_FLASH_SIZE - len;
}

/* Returns 1 if [addr, addr+len) may be erased/programmed (below the protected region),
 * else 0. */
static int flash_writable(uint32_t addr, uint32_t len)
{
    return flash_range_ok(addr, len) && addr - PLAT_FLASH_BASE + len <= LPC_FLASH_WRITABLE_END;
}

/* Sleep until the command in flight ends (INT_ENABLE.DONE -> the flash line of WDT_BOD_IRQn,
 * shared with the WWDT and the BOD, wakes the core) or FLASH_SLEEP_MAX_MS passed. Interrupts
 * stay masked. No return value. */
#define FLASH_SLEEP_MAX_MS 1u
static void lpc_flash_sleep(void)
{
    uint32_t pm = cm33_irq_save();

    REG32(FLASH_INT_SET_ENABLE) = FLASH_INT_DONE;
    if ((REG32(FLASH_INT_STATUS) & FLASH_INT_DONE) == 0u) {
        cm33_sleep_irq(PLAT_PERIPH_FLASH_CTRL_IRQ_FLASH, port_core_clock_hz() / 1000u * FLASH_SLEEP_MAX_MS);
    }
    REG32(FLASH_INT_CLR_ENABLE) = FLASH_INT_DONE;
    cm33_irq_line_clear(PLAT_PERIPH_FLASH_CTRL_IRQ_FLASH);
    cm33_irq_restore(pm);
}

/*
 * Run one controller command. STARTA/STOPA/DATAW must already be set by the caller
 * (after lpc_flash_prepare()).
 * *status receives INT_STATUS at completion (may be NULL).
 * Returns: PORT_OK (DONE seen) or PORT_ERR_TIMEOUT. FAIL/ERR/ECC_ERR are left to the
 *   caller because their meaning depends on the command (BLANK_CHECK: FAIL = not blank).
 */
static int lpc_flash_run(uint32_t cmd, uint32_t *status)
{
    uint32_t n;
    uint32_t st = 0;

    REG32(FLASH_CMD) = cmd;
    for (n = 0; n < LPC_POLL_LIMIT; n += cm33_poll_step(n)) {
        st = REG32(FLASH_INT_STATUS);
        if ((st & FLASH_INT_DONE) != 0u) {
            break;
        }
        if (n >= CM33_POLL_FAST) {
            lpc_flash_sleep();
        }
    }
    if (status != NULL) {
        *status = st;
    }
    return (st & FLASH_INT_DONE) != 0u ? PORT_OK : PORT_ERR_TIMEOUT;
}

/* Clear INT_STATUS before a command. No return value. */
static void lpc_flash_prepare(void)
{
    REG32(FLASH_INT_CLR_STATUS) = FLASH_INT_ALL;
}

/* Map a finished erase/program/write status to a port code.
 * Returns PORT_OK, PORT_ERR_ERR, PORT_ERR_FAIL or PORT_ERR_ECC. */
static int lpc_flash_status_to_err(uint32_t st)
{
    if ((st & FLASH_INT_ERR) != 0u) {
        return PORT_ERR_ERR;
    }
    if ((st & FLASH_INT_FAIL) != 0u) {
        return PORT_ERR_FAIL;
    }
    if ((st & FLASH_INT_ECC_ERR) != 0u) {
        return PORT_ERR_ECC;
    }
    return PORT_OK;
}

/* Returns 1 if addr is in a metadata area (only the planted MUT_UNGATED_META_ERASE asks). */
static int flash_is_meta(uint32_t addr)
{
    return (uint32_t)(addr - PLAT_AREA_META_A_ADDR) < PLAT_AREA_META_A_SIZE ||
           (uint32_t)(addr - PLAT_AREA_META_B_ADDR) < PLAT_AREA_META_B_SIZE;
}

/* See port.h. Returns PORT_OK or a PORT_ERR_* code. */
int port_flash_erase_page(uint32_t addr)
{
    uint32_t st;
    int rc;

    if (!flash_writable(addr, PLAT_FLASH_PAGE_SIZE) ||
        ((addr - PLAT_FLASH_BASE) % PLAT_FLASH_PAGE_SIZE) != 0u) {
        return PORT_ERR_BADARG;
    }
    /* planted (brownout class, core/mut_hooks.h): a metadata page erase is not gated */
    if (!(MUT_HOOK_UNGATED_META_ERASE() && flash_is_meta(addr)) && FLASH_SUPPLY_LOW()) {
        return PORT_ERR_GATED; /* brownout write gating: nothing started */
    }
    lpc_readable_page = LPC_NO_PAGE;
    lpc_flash_prepare();
    REG32(FLASH_STARTA) = FLASH_WORDNO(addr);
    REG32(FLASH_STOPA) = FLASH_WORDNO(addr + PLAT_FLASH_PAGE_SIZE - 1u); /* inclusive */
    rc = lpc_flash_run(FLASH_CMD_ERASE_RANGE, &st);
    return rc != PORT_OK ? rc : lpc_flash_status_to_err(st);
}

/*
 * Program one page from `src` (PLAT_FLASH_PAGE_SIZE bytes, word aligned): 32 WRITE commands
 * filling the page register row by row, then PROGRAM.
 * Returns PORT_OK or a PORT_ERR_* code (stops at the first failing command).
 */
static int lpc_flash_program_page(uint32_t addr, const uint32_t *src)
{
    uint32_t row;
    uint32_t st;
    int rc;

    for (row = 0; row < FLASH_ROWS_PER_PAGE; row++) {
        lpc_flash_prepare();
        REG32(FLASH_STARTA) = row;
        REG32(FLASH_DATAW(0)) = src[row * 4u + 0u];
        REG32(FLASH_DATAW(1)) = src[row * 4u + 1u];
        REG32(FLASH_DATAW(2)) = src[row * 4u + 2u];
        REG32(FLASH_DATAW(3)) = src[row * 4u + 3u];
        rc = lpc_flash_run(FLASH_CMD_WRITE, &st);
        if (rc == PORT_OK) {
            rc = lpc_flash_status_to_err(st);
        }
        if (rc != PORT_OK) {
            return rc;
        }
    }
    lpc_flash_prepare();
    REG32(FLASH_STARTA) = FLASH_WORDNO(addr);
    rc = lpc_flash_run(FLASH_CMD_PROGRAM, &st);
    return rc != PORT_OK ? rc : lpc_flash_status_to_err(st);
}

/* See port.h. `addr` page aligned, `len` a multiple of the 512-byte page (the program unit).
 * Returns PORT_OK or a PORT_ERR_* code. */
int port_flash_program(uint32_t addr, const uint32_t *data, size_t len)
{
    uint32_t done;
    int rc = PORT_OK;

    if (data == NULL || len == 0u || (len % PLAT_FLASH_PROGRAM_UNIT) != 0u ||
        (PLAT_FLASH_PROGRAM_UNIT % PLAT_FLASH_PAGE_SIZE) != 0u || len > PLAT_FLASH_SIZE ||
        !flash_writable(addr, (uint32_t)len) ||
        ((addr - PLAT_FLASH_BASE) % PLAT_FLASH_PAGE_SIZE) != 0u ||
        ((uintptr_t)data & 3u) != 0u) {
        return PORT_ERR_BADARG;
    }
    lpc_readable_page = LPC_NO_PAGE;
    for (done = 0; done < (uint32_t)len; done += PLAT_FLASH_PAGE_SIZE) {
        if (FLASH_SUPPLY_LOW()) {
            return PORT_ERR_GATED; /* gate before every page, none is started while low */
        }
        rc = lpc_flash_program_page(addr + done, &data[done / 4u]);
        if (rc != PORT_OK) {
            break;
        }
    }
    return rc;
}

/*
 * BLANK_CHECK over the page starting at `page`. *blank receives 1 when the page is erased
 * (DONE without FAIL), else 0.
 * Returns PORT_OK, PORT_ERR_ERR or PORT_ERR_TIMEOUT.
 */
static int lpc_blank_check(uint32_t page, int *blank)
{
    uint32_t st;
    int rc;

    *blank = 0;
    lpc_flash_prepare();
    REG32(FLASH_STARTA) = FLASH_WORDNO(page);
    REG32(FLASH_STOPA) = FLASH_WORDNO(page + PLAT_FLASH_PAGE_SIZE - 1u);
    REG32(FLASH_DATAW(0)) = 0u;
    rc = lpc_flash_run(FLASH_CMD_BLANK_CHECK, &st);
    if (rc != PORT_OK) {
        return rc;
    }
    if ((st & FLASH_INT_ERR) != 0u) {
        return PORT_ERR_ERR;
    }
    *blank = (st & FLASH_INT_FAIL) == 0u;
    return PORT_OK;
}

/* Start address of the page holding `addr` (inside the flash). */
static uint32_t lpc_page_of(uint32_t addr)
{
    return addr - ((addr - PLAT_FLASH_BASE) % PLAT_FLASH_PAGE_SIZE);
}

/*
 * See port.h.
 *  0. A word of the remembered readable page (lpc_readable_page): the guarded load alone; a
 *     fault forgets the page and takes steps 1-3.
 *  1. BLANK_CHECK over the whole page: DONE without FAIL means the page is erased, and an
 *     erased page faults on the bus, so report PORT_ERR_ERASED with the erased pattern.
 *  2. READ_SINGLE_WORD (DATAW0 = 0: normal read mode) of the 16-byte word: ECC_ERR ->
 *     PORT_ERR_ECC, FAIL -> PORT_ERR_FAULT (not readable), ERR -> PORT_ERR_ERR.
 *  3. Guarded bus load: a bus fault there is absorbed (HardFault/BusFault) -> PORT_ERR_FAULT.
 *     A clean load remembers the page as readable.
 * Returns: PORT_OK, PORT_ERR_BADARG, PORT_ERR_ERASED, PORT_ERR_ECC, PORT_ERR_FAULT,
 *   PORT_ERR_ERR or PORT_ERR_TIMEOUT.
 */
int port_flash_read(uint32_t addr, uint32_t *value)
{
    uint32_t page;
    uint32_t st;
    uint32_t outcome;
    uint32_t v;
    int blank;
    int rc;

    if (value == NULL || (addr & 3u) != 0u || !flash_range_ok(addr, 4u)) {
        return PORT_ERR_BADARG;
    }
    *value = 0u;
    page = lpc_page_of(addr);
    if (page == lpc_readable_page) {
        v = cm33_guarded_load32(addr, &outcome);
        if (outcome == CM33_GUARD_NONE) {
            *value = v;
            return PORT_OK;
        }
        lpc_readable_page = LPC_NO_PAGE; /* changed behind our back: ask the controller */
    }

    rc = lpc_blank_check(page, &blank);
    if (rc != PORT_OK) {
        return rc;
    }
    if (blank) {
        *value = ERASED_WORD;
        return PORT_ERR_ERASED;
    }

    lpc_flash_prepare();
    REG32(FLASH_STARTA) = FLASH_WORDNO(addr);
    REG32(FLASH_DATAW(0)) = 0u;
    rc = lpc_flash_run(FLASH_CMD_READ_SINGLE_WORD, &st);
    if (rc != PORT_OK) {
        return rc;
    }
    if ((st & FLASH_INT_ERR) != 0u) {
        return PORT_ERR_ERR;
    }
    if ((st & FLASH_INT_ECC_ERR) != 0u) {
        return PORT_ERR_ECC;
    }
    if ((st & FLASH_INT_FAIL) != 0u) {
        return PORT_ERR_FAULT;
    }

    v = cm33_guarded_load32(addr, &outcome);
    if (outcome != CM33_GUARD_NONE) {
        return PORT_ERR_FAULT;
    }
    lpc_readable_page = page;
    *value = v;
    return PORT_OK;
}

/*
 * See port.h. Page by page: a page not remembered as readable gets one BLANK_CHECK (erased:
 * the erased pattern, no bus access); then one guarded block copy of the words in that page.
 * A copy that did not complete forgets the page and re-reads those words through
 * port_flash_read (BLANK_CHECK, READ_SINGLE_WORD, guarded load: the exact word and code).
 * A blank page (or a word port_flash_read finds erased) sets *erased.
 * Returns PORT_OK or the first port_flash_read error other than PORT_ERR_ERASED.
 */
int port_flash_read_words(uint32_t addr, uint32_t *dst, uint32_t nwords, int *erased)
{
    while (nwords > 0u) {
        uint32_t page = lpc_page_of(addr);
        uint32_t n = (page + PLAT_FLASH_PAGE_SIZE - addr) / 4u; /* words left in the page */
        uint32_t outcome = CM33_GUARD_FAULT;
        uint32_t i;
        int blank = 0;
        int rc;

        if (n > nwords) {
            n = nwords;
        }
        if (page != lpc_readable_page) {
            rc = lpc_blank_check(page, &blank);
            if (rc != PORT_OK) {
                return rc;
            }
        }
        if (blank) {
            *erased = 1;
            for (i = 0; i < n; i++) {
                dst[i] = ERASED_WORD; /* an erased page faults on the bus: never loaded */
            }
        } else {
            cm33_guarded_copy32(dst, addr, n, &outcome);
            if (outcome == CM33_GUARD_NONE) {
                lpc_readable_page = page;
            } else {
                lpc_readable_page = LPC_NO_PAGE;
                for (i = 0; i < n; i++) {
                    rc = port_flash_read(addr + 4u * i, &dst[i]);
                    if (rc == PORT_ERR_ERASED) {
                        *erased = 1;
                    } else if (rc != PORT_OK) {
                        return rc;
                    }
                }
            }
        }
        addr += 4u * n;
        dst += n;
        nwords -= n;
    }
    return PORT_OK;
}
