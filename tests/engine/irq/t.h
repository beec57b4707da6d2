/*
 * t.h - helpers for the engine's core/interrupt test programs (built at test time).
 * Core registers from Arm's v8-M ARM / CMSIS core_cm33.h; results go to a RAM log the test reads.
 */
#ifndef T_H
#define T_H
#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define REG8(a)  (*(volatile uint8_t *)(uintptr_t)(a))

#define SYST_CSR   0xE000E010u
#define SYST_RVR   0xE000E014u
#define SYST_CVR   0xE000E018u
#define SYST_CALIB 0xE000E01Cu
#define NVIC_ISER(n) (0xE000E100u + 4u * (n))
#define NVIC_ICER(n) (0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) (0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) (0xE000E280u + 4u * (n))
#define NVIC_IABR(n) (0xE000E300u + 4u * (n))
#define NVIC_IPR(irq) (0xE000E400u + (irq))
#define NVIC_STIR  0xE000EF00u
#define SCB_ICSR   0xE000ED04u
#define SCB_AIRCR  0xE000ED0Cu
#define SCB_SCR    0xE000ED10u
#define SCB_SHPR(exc) (0xE000ED18u + (exc) - 4u)
#define SCB_SHCSR  0xE000ED24u
#define SCB_CPACR  0xE000ED88u
#define DWT_CYCCNT 0xE0001004u

#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSTSET (1u << 26)

extern volatile uint32_t t_log[64];
extern volatile uint32_t t_n;

static inline void mark(uint32_t v)
{
    if (t_n < 64u) {
        t_log[t_n] = v;
    }
    t_n++;
}

static inline void irq_enable(uint32_t irq) { REG32(NVIC_ISER(irq / 32u)) = 1u << (irq % 32u); }
static inline void irq_pend(uint32_t irq) { REG32(NVIC_ISPR(irq / 32u)) = 1u << (irq % 32u); }
static inline void irq_prio(uint32_t irq, uint8_t p) { REG8(NVIC_IPR(irq)) = p; }
static inline uint32_t ipsr(void)
{
    uint32_t v;
    __asm volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}
static inline void set_basepri(uint32_t v) { __asm volatile("msr basepri, %0" ::"r"(v) : "memory"); }
static inline void cpsid(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void cpsie(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void wfi(void) { __asm volatile("wfi" ::: "memory"); }
static inline void wfe(void) { __asm volatile("wfe" ::: "memory"); }

void test_done(void);
#endif
