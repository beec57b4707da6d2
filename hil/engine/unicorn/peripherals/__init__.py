"""Peripheral models; importing this package registers every model."""

from hil.engine.unicorn.peripherals import (  # noqa: F401  (registration side effects)
    lpc55_anactrl,
    lpc55_flash,
    lpc55_gpio,
    lpc55_hashcrypt,
    lpc55_pmc,
    lpc55_romapi,
    lpc55_syscon,
    lpc55_usart,
    lpc55_wwdt,
    stm32_gpio,
    stm32_iwdg,
    stm32_usart,
    stm32u5_cache,
    stm32u5_exti,
    stm32u5_flash,
    stm32u5_gpdma,
    stm32u5_hash,
    stm32u5_pka,
    stm32u5_pwr,
    stm32u5_rcc,
)
