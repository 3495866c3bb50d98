"""Login for the web chat, throttled: guessing passwords gets slower, then refused.

Gradio calls ``auth(username, password)`` and tells it nothing about the client, so
failures are counted per user name and over all names (a spray of names is throttled
too). After ``max_failures`` failures for a name within ``window`` seconds that name is
locked out, even with the right password, for ``lockout`` seconds, doubling with each
further failure (capped at an hour). Every failure also waits a little longer than the
one before. The callable is async so waiting never blocks the server.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable

log = logging.getLogger(__name__)


class LoginThrottle:
    def __init__(
        self,
        user: str,
        password: str,
        *,
        max_failures: int = 5,
        window: float = 900.0,
        lockout: float = 60.0,
        max_global_failures: int = 30,
        delay_step: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user, self._password = user, password
        self.max_failures, self.window, self.lockout = max_failures, window, lockout
        self.max_global_failures = max_global_failures
        self.delay_step = delay_step
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._all_failures: deque[float] = deque()
        self._locked_until: dict[str, float] = {}
        self._global_locked_until = 0.0

    def _recent(self, times: deque[float], now: float) -> int:
        while times and times[0] <= now - self.window:
            times.popleft()
        return len(times)

    def locked(self, username: str) -> bool:
        now = self._clock()
        return self._locked_until.get(username.casefold(), 0.0) > now or (
            self._global_locked_until > now
        )

    def check(self, username: str, password: str) -> tuple[bool, float]:
        """(accepted, seconds to wait before answering). No waiting happens here."""
        now = self._clock()
        key = username.casefold()
        if self.locked(username):
            return False, 1.0
        ok = hmac.compare_digest(username.encode(), self._user.encode()) & hmac.compare_digest(
            password.encode(), self._password.encode()
        )
        if ok:
            self._failures.pop(key, None)
            return True, 0.0
        self._failures[key].append(now)
        self._all_failures.append(now)
        n = self._recent(self._failures[key], now)
        if n >= self.max_failures:
            extra = min(self.lockout * 2 ** (n - self.max_failures), 3600.0)
            self._locked_until[key] = now + extra
            log.warning("login: %d failed attempts for %r; locked for %.0f s", n, username, extra)
        if self._recent(self._all_failures, now) >= self.max_global_failures:
            self._global_locked_until = now + self.lockout
            log.warning("login: %d failed attempts overall; all logins paused", n)
        return False, min(self.delay_step * n, 2.0)

    # A coroutine *function*, not an async ``__call__``: Gradio awaits ``auth`` only when
    # ``inspect.iscoroutinefunction`` says so, and a bare coroutine object is truthy, so an
    # instance with an async ``__call__`` would let every password in.
    async def login(self, username: str, password: str) -> bool:
        ok, wait = self.check(username, password)
        if wait:
            await asyncio.sleep(wait)
        return ok
