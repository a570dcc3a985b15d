"""Injectors: the simulator over HTTP, the recorder, and the Windows one off Windows."""

from __future__ import annotations

import asyncio
import ctypes
import sys

import aiohttp
import pytest

from mgm_wow import run_lines
from mgm_wow.bridge.injector import (
    INPUT,
    WM_CHAR,
    HttpSimulatorInjector,
    InjectionFailed,
    Injector,
    InjectorUnavailable,
    ReadinessProbe,
    RecordingInjector,
    WindowsInjector,
    post_message_sequence,
    send_input_events,
    utf16_units,
)
from mgm_wow.simulator_app import create_app
from mgm_wow.testing import serving


def test_every_injector_satisfies_the_protocol():
    for made in (RecordingInjector(), HttpSimulatorInjector("http://127.0.0.1:1"), WindowsInjector()):
        assert isinstance(made, Injector) and isinstance(made, ReadinessProbe)


def test_http_injector_types_into_the_simulator(sim_settings):
    async def main() -> None:
        async with serving(create_app(sim_settings)) as url:
            injector = HttpSimulatorInjector(url)
            try:
                assert await injector.ready()
                await injector.inject(run_lines.chat_frame_message("hello"))
                with pytest.raises(InjectionFailed, match="line_too_long"):
                    await injector.inject("/run " + "x" * 300)
                async with aiohttp.ClientSession(url) as http, http.get("/api/wow/commands") as response:
                    assert [c["outcome"] for c in await response.json()] == ["chat_frame_message"]
            finally:
                await injector.close()
        stopped = HttpSimulatorInjector(url)
        try:
            assert not await stopped.ready()
            with pytest.raises(InjectorUnavailable):
                await stopped.inject("/run x()")
        finally:
            await stopped.close()

    asyncio.run(main())


def test_recording_injector_scripts_absence_and_failures():
    async def main() -> None:
        recorder = RecordingInjector(failures=[InjectionFailed("refused", 5)])
        with pytest.raises(InjectionFailed):
            await recorder.inject("/run a()")
        await recorder.inject("/run b()")
        assert recorder.lines == ["/run b()"]
        recorder.available = False
        assert not await recorder.ready()
        with pytest.raises(InjectorUnavailable):
            await recorder.inject("/run c()")

    asyncio.run(main())


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_windows_injector_is_unavailable_off_windows():
    # This module imported it already: importing touched no Windows DLL (ctypes has none here).
    assert not hasattr(ctypes, "windll")
    windows = WindowsInjector()

    async def main() -> None:
        assert not await windows.ready()
        with pytest.raises(InjectorUnavailable, match="needs Windows"):
            await windows.inject("/run x()")

    asyncio.run(main())


def test_win32_input_layout_and_sequences():
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        assert ctypes.sizeof(INPUT) == 40  # what SendInput expects on 64-bit Windows
    assert utf16_units("aЖ😀") == [0x61, 0x416, 0xD83D, 0xDE00]
    sequence = post_message_sequence("/run x()")
    assert [m for m, _, _ in sequence].count(WM_CHAR) == len("/run x()")
    assert sequence[0][1] == sequence[-1][1] == 0x0D  # Enter opens the edit box and sends the line
    events = send_input_events("Ж")
    assert len(events) == 6 and events[2].union.ki.wScan == 0x416
