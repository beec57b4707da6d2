"""The strap-pin GPIO models (hil/engine/unicorn/peripherals/stm32_gpio.py, lpc55_gpio.py)
and their platform entries: the input register reads the harness's pin on the configured bit,
only as the chip would (STM32: not while the pin is analog)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import peripheral_class
from hil.engine.unicorn.peripherals import lpc55_gpio as L
from hil.engine.unicorn.peripherals import stm32_gpio as S
from hil.platform import load_platform
from hil.platform.model import PeripheralSpec


class _Soc:
    def __init__(self) -> None:
        self.pins: dict[str, int] = {}

    def pin(self, name: str) -> int:
        return self.pins.get(name, 0)


def _spec(model: str, params: dict[str, object]) -> PeripheralSpec:
    return PeripheralSpec(
        name="gpio", model=model, base=0x40000000, aliases=(), size=0x2500,
        params=MappingProxyType(params), source="test",
    )  # fmt: skip


def test_stm32_idr_follows_pin_in_input_mode() -> None:
    soc = _Soc()
    g = peripheral_class("stm32_gpio")(_spec("stm32_gpio", {"pins": {"rescue": {"bit": 13}}}), soc)  # type: ignore[arg-type]
    soc.pins["rescue"] = 1
    assert g.read(S.IDR, 4) == 0  # reset: every pin analog, the input buffer is off
    g.write(S.MODER, 4, 0xFFFFFFFF & ~(3 << 26))  # PC13 input
    assert g.read(S.IDR, 4) == 1 << 13
    assert g.read(S.IDR + 1, 1) == 1 << 5  # byte access
    soc.pins["rescue"] = 0
    assert g.read(S.IDR, 4) == 0
    g.write(S.BSRR, 4, 1 << 3)
    assert g.read(S.ODR, 4) == 1 << 3 and g.read(S.BSRR, 4) == 0
    g.reset(ResetCause.PIN)
    assert g.read(S.MODER, 4) == 0xFFFFFFFF and g.read(S.ODR, 4) == 0


def test_lpc55_pin_b_w_registers() -> None:
    soc = _Soc()
    spec = _spec("lpc55_gpio", {"port": 0, "pins": {"rescue": {"bit": 5}}})
    g = peripheral_class("lpc55_gpio")(spec, soc)  # type: ignore[arg-type]
    assert g.read(L.PIN, 4) == 0
    soc.pins["rescue"] = 1
    assert g.read(L.PIN, 4) == 1 << 5
    assert g.read(L.B_BASE + 5, 1) == 1
    assert g.read(L.W_BASE + 5 * 4, 4) == 0xFFFFFFFF
    assert g.read(L.PIN + 4, 4) == 0  # port 1: nothing mapped
    g.write(L.MASK, 4, 1 << 5)
    assert g.read(L.MPIN, 4) == 0
    g.write(L.DIRSET, 4, 1 << 5)  # an output reads its latch, not the pin
    assert g.read(L.PIN, 4) == 0
    g.write(L.SET, 4, 1 << 5)
    assert g.read(L.PIN, 4) == 1 << 5


@pytest.mark.parametrize(
    "bad", [{"rescue": {"bit": 16}}, {"rescue": 3}, {"a": {"bit": 1}, "b": {"bit": 1}}]
)
def test_bad_pin_params(bad: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        peripheral_class("stm32_gpio")(_spec("stm32_gpio", {"pins": bad}), _Soc())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "model", "base", "bit"),
    [("stm32u585", "stm32_gpio", 0x42020800, 13), ("lpc55s69", "lpc55_gpio", 0x4008C000, 5)],
)
def test_platform_entries(name: str, model: str, base: int, bit: int) -> None:
    p = load_platform(name)
    g = p.peripheral("gpio")
    assert (g.model, g.base) == (model, base)
    assert g.params["pins"]["rescue"]["bit"] == bit  # type: ignore[index]
    assert "assumed:" in g.source
