"""Throttling of failed logins: 429 with Retry-After, per user name and per client address.

Failures are counted per (user name, client address) and per client address
alone, in a fixed window. Once either count reaches its limit, every token
request with that key is answered 429 until its window ends, whether the
password is right or not, and without checking it. Counting per name *and
address* means that guessing someone's password from one address never locks
that user out from another; the per-address limit (higher) stops one address
from trying many names. A successful login clears its (name, address) count.

The counts live in the worker process: with `--workers N` a client may get up
to N times the limits before every worker refuses it. Unknown names are counted
exactly like known ones, so a 429 says nothing about whether a user exists.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

#: Most keys remembered; when full, the oldest windows are forgotten first.
MAX_KEYS = 10_000

#: Characters of a name kept in a key (longer names are no user's; this bounds memory).
MAX_NAME_KEY = 256


@dataclass
class _Window:
    started: float
    failures: int


class LoginThrottle:
    """Counts failed logins; says how long a (name, address) must wait, if at all."""

    def __init__(
        self,
        max_failures: int,
        max_address_failures: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures, self.max_address_failures = max_failures, max_address_failures
        self.window, self._clock = window, clock
        self._windows: OrderedDict[tuple[str, ...], _Window] = OrderedDict()
        self._lock = Lock()

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until a login of `name` from `address` may be tried again; 0: now."""
        with self._lock:
            now = self._clock()
            return max(self._wait(key, limit, now) for key, limit in self._keys(name, address))

    def failed(self, name: str, address: str) -> None:
        """Count a failed login of `name` from `address`."""
        with self._lock:
            now = self._clock()
            for key, _ in self._keys(name, address):
                window = self._current(key, now)
                if window is None:
                    window = self._windows[key] = _Window(now, 0)
                window.failures += 1
            while len(self._windows) > MAX_KEYS:
                self._windows.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        """Forget the failures of `name` from `address` (not those of the address)."""
        with self._lock:
            self._windows.pop(("name", name[:MAX_NAME_KEY], address), None)

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        return [
            (("name", name[:MAX_NAME_KEY], address), self.max_failures),
            (("address", address), self.max_address_failures),
        ]

    def _current(self, key: tuple[str, ...], now: float) -> _Window | None:
        window = self._windows.get(key)
        if window is not None and now - window.started >= self.window:
            del self._windows[key]
            return None
        return window

    def _wait(self, key: tuple[str, ...], limit: int, now: float) -> int:
        window = self._current(key, now)
        if window is None or window.failures < limit:
            return 0
        return max(1, math.ceil(window.started + self.window - now))
