"""Typing ``/run`` lines into the game: the Desktop's only way to drive the addon.

:class:`Injector` is the seam. :class:`WindowsInjector` is the real client's
path (PostMessage to the game window, SendInput as a fallback);
:class:`HttpSimulatorInjector` types into the WoW client simulator; and
:class:`RecordingInjector` only records, for a stand-in that must say what it
would have typed.

Two failures are distinguished because the Desktop reacts differently:
:class:`InjectorUnavailable` (no game window, wrong platform — nothing was
typed, so nothing should move on the EBS) and :class:`InjectionFailed` (a window
was found but the keystrokes were refused).
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Iterable


class InjectorUnavailable(RuntimeError):
    """Nothing can be typed: the game window is not there (or this platform has none)."""


class InjectionFailed(RuntimeError):
    """The game window was found but refused the keystrokes; ``win32_error`` when known."""

    def __init__(self, message: str, win32_error: int | None = None) -> None:
        super().__init__(message)
        self.win32_error = win32_error


@runtime_checkable
class Injector(Protocol):
    """Types one chat line into the game client."""

    async def inject(self, line: str) -> None:
        """Type ``line`` and press Enter; raises :class:`InjectorUnavailable` or :class:`InjectionFailed`."""
        ...


@runtime_checkable
class ReadinessProbe(Protocol):
    """An injector that can tell, without typing, whether the game is there."""

    async def ready(self) -> bool:
        """True when a line could be typed now."""
        ...


# --------------------------------------------------------------------------- recording


class RecordingInjector:
    """Records lines instead of typing them; can pretend the game is absent or refuses input."""

    def __init__(self, *, available: bool = True, failures: Iterable[Exception] = ()) -> None:
        self.lines: list[str] = []
        self.available = available
        self._failures = list(failures)

    async def inject(self, line: str) -> None:
        if not self.available:
            raise InjectorUnavailable("World of Warcraft not found")
        if self._failures:
            raise self._failures.pop(0)
        self.lines.append(line)

    async def ready(self) -> bool:
        return self.available


# --------------------------------------------------------------------------- simulator


class HttpSimulatorInjector:
    """Types into the WoW client simulator through ``POST /api/wow/run``."""

    def __init__(
        self, base_url: str, *, session: aiohttp.ClientSession | None = None, timeout: float = 5.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def inject(self, line: str) -> None:
        try:
            async with self._http().post(
                f"{self.base_url}/api/wow/run", json={"line": line}, timeout=self._timeout
            ) as response:
                if response.status >= 300:
                    raise InjectionFailed(
                        f"simulator refused the line ({response.status}): {await response.text()}"
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise InjectorUnavailable(
                f"WoW client simulator not reachable at {self.base_url}: {exc}"
            ) from exc

    async def ready(self) -> bool:
        try:
            async with self._http().get(f"{self.base_url}/health", timeout=self._timeout) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


# --------------------------------------------------------------------------- Windows

WM_KEYDOWN: Final = 0x0100
WM_KEYUP: Final = 0x0101
WM_CHAR: Final = 0x0102
VK_RETURN: Final = 0x0D
RETURN_SCAN_CODE: Final = 0x1C
INPUT_KEYBOARD: Final = 1
KEYEVENTF_KEYUP: Final = 0x0002
KEYEVENTF_UNICODE: Final = 0x0004
# The 3.3.5a client's window classes (Direct3D, OpenGL), then its title as a last resort.
WOW_WINDOW_CLASSES: Final = ("GxWindowClassD3d", "GxWindowClass", "GxWindowClassOpenGl")
WOW_WINDOW_TITLE: Final = "World of Warcraft"

# Win32 structures with fixed-width fields, so the layout is the same wherever they are
# defined; nothing here touches a Windows DLL until an injection is attempted.
_DWORD = ctypes.c_uint32
_WORD = ctypes.c_uint16
_LONG = ctypes.c_int32
_ULONG_PTR = ctypes.c_size_t


class MOUSEINPUT(ctypes.Structure):
    _fields_ = (
        ("dx", _LONG),
        ("dy", _LONG),
        ("mouseData", _DWORD),
        ("dwFlags", _DWORD),
        ("time", _DWORD),
        ("dwExtraInfo", _ULONG_PTR),
    )


class KEYBDINPUT(ctypes.Structure):
    _fields_ = (
        ("wVk", _WORD),
        ("wScan", _WORD),
        ("dwFlags", _DWORD),
        ("time", _DWORD),
        ("dwExtraInfo", _ULONG_PTR),
    )


class HARDWAREINPUT(ctypes.Structure):
    _fields_ = (("uMsg", _DWORD), ("wParamL", _WORD), ("wParamH", _WORD))


class _InputUnion(ctypes.Union):
    _fields_ = (("mi", MOUSEINPUT), ("ki", KEYBDINPUT), ("hi", HARDWAREINPUT))


class INPUT(ctypes.Structure):
    _fields_ = (("type", _DWORD), ("union", _InputUnion))


def utf16_units(text: str) -> list[int]:
    """``text`` as UTF-16 code units, which is what WM_CHAR and KEYEVENTF_UNICODE carry."""
    data = text.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def _keyboard(vk: int = 0, scan: int = 0, flags: int = 0) -> INPUT:
    event = INPUT(type=INPUT_KEYBOARD)
    event.union.ki = KEYBDINPUT(wVk=vk, wScan=scan, dwFlags=flags, time=0, dwExtraInfo=0)
    return event


def send_input_events(line: str) -> list[INPUT]:
    """The SendInput sequence: Enter, the line as Unicode key events, Enter."""
    events = [_keyboard(vk=VK_RETURN), _keyboard(vk=VK_RETURN, flags=KEYEVENTF_KEYUP)]
    for unit in utf16_units(line):
        events.append(_keyboard(scan=unit, flags=KEYEVENTF_UNICODE))
        events.append(_keyboard(scan=unit, flags=KEYEVENTF_UNICODE | KEYEVENTF_KEYUP))
    events += [_keyboard(vk=VK_RETURN), _keyboard(vk=VK_RETURN, flags=KEYEVENTF_KEYUP)]
    return events


def post_message_sequence(line: str) -> list[tuple[int, int, int]]:
    """The PostMessage sequence as (message, wParam, lParam): Enter opens the edit box, chars, Enter sends."""
    down = 1 | (RETURN_SCAN_CODE << 16)
    up = down | (1 << 30) | (1 << 31)
    enter = [(WM_KEYDOWN, VK_RETURN, down), (WM_KEYUP, VK_RETURN, up)]
    return enter + [(WM_CHAR, unit, 1) for unit in utf16_units(line)] + enter


class WindowsInjector:
    """Types into the real WoW 3.3.5a window: PostMessage first, SendInput if that is refused.

    Importable anywhere; off Windows every call raises :class:`InjectorUnavailable`.
    SendInput needs the game in the foreground, so the fallback brings it there.
    """

    def __init__(
        self,
        *,
        window_classes: Sequence[str] = WOW_WINDOW_CLASSES,
        window_title: str | None = WOW_WINDOW_TITLE,
        send_input_fallback: bool = True,
        require_foreground: bool = False,
        char_delay: float = 0.0,
        focus_delay: float = 0.05,
    ) -> None:
        self.window_classes = tuple(window_classes)
        self.window_title = window_title
        self.send_input_fallback = send_input_fallback
        self.require_foreground = require_foreground
        self.char_delay = char_delay
        self.focus_delay = focus_delay

    async def inject(self, line: str) -> None:
        await asyncio.to_thread(self._inject, line)

    async def ready(self) -> bool:
        try:
            await asyncio.to_thread(self._window, _user32())
        except InjectorUnavailable:
            return False
        return True

    def _window(self, user32: Any) -> int:
        hwnd = 0
        for window_class in self.window_classes:
            hwnd = user32.FindWindowW(window_class, None)
            if hwnd:
                break
        if not hwnd and self.window_title:
            hwnd = user32.FindWindowW(None, self.window_title)
        if not hwnd:
            raise InjectorUnavailable("World of Warcraft window not found")
        if self.require_foreground and user32.GetForegroundWindow() != hwnd:
            raise InjectorUnavailable("World of Warcraft is not the foreground window")
        return int(hwnd)

    def _inject(self, line: str) -> None:
        import time

        user32 = _user32()
        hwnd = self._window(user32)
        try:
            for message, wparam, lparam in post_message_sequence(line):
                if not user32.PostMessageW(hwnd, message, wparam, lparam):
                    code = ctypes.get_last_error()  # type: ignore[attr-defined]
                    raise InjectionFailed(f"PostMessage refused (Win32 error {code})", code)
                if self.char_delay:
                    time.sleep(self.char_delay)
        except InjectionFailed as refused:
            if not self.send_input_fallback:
                raise
            user32.SetForegroundWindow(hwnd)
            time.sleep(self.focus_delay)
            events = send_input_events(line)
            array = (INPUT * len(events))(*events)
            sent = user32.SendInput(len(events), array, ctypes.sizeof(INPUT))
            if sent != len(events):
                code = ctypes.get_last_error()  # type: ignore[attr-defined]
                raise InjectionFailed(
                    f"SendInput sent {sent} of {len(events)} events (Win32 error {code})", code
                ) from refused


def _user32() -> Any:
    if sys.platform != "win32":
        raise InjectorUnavailable(f"typing into WoW needs Windows; this is {sys.platform}")
    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    user32.FindWindowW.restype = ctypes.c_void_p
    user32.GetForegroundWindow.restype = ctypes.c_void_p
    user32.PostMessageW.argtypes = (ctypes.c_void_p, ctypes.c_uint, ctypes.c_size_t, ctypes.c_ssize_t)
    user32.SendInput.argtypes = (ctypes.c_uint, ctypes.POINTER(INPUT), ctypes.c_int)
    user32.SetForegroundWindow.argtypes = (ctypes.c_void_p,)
    return user32
