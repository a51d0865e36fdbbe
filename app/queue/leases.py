"""Leases in Redis: a name held by one owner at a time, for `ttl_s` unless renewed.

`claim` is SET NX PX; `renew`, `release` and `push_if_held` are Lua scripts that first check the
owner, so a worker whose lease expired (killed, frozen, cut off from Redis) can neither extend nor
free another's lease, nor add anything on its behalf: what it pushed after its lease passed to
another worker is refused, which is what keeps a camera's events from being reported twice.
"""

from __future__ import annotations

import redis

from app.queue.broker import LEASE, key, text

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_PUSH_IF_HELD = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('rpush', KEYS[2], ARGV[2])
redis.call('ltrim', KEYS[2], -tonumber(ARGV[3]), -1)
return 1
"""


class Leases:
    """The leases of one owner (a worker process)."""

    def __init__(self, r: redis.Redis, owner: str, ttl_s: float) -> None:
        self._r, self.owner, self._ttl_ms = r, owner, int(ttl_s * 1000)
        self._renew = r.register_script(_RENEW)
        self._release = r.register_script(_RELEASE)
        self._push = r.register_script(_PUSH_IF_HELD)

    def claim(self, name: str) -> bool:
        return bool(self._r.set(key(LEASE, name), self.owner, nx=True, px=self._ttl_ms))

    def renew(self, name: str) -> bool:
        """False once the lease is lost (expired, or held by another owner)."""
        return bool(self._renew(keys=[key(LEASE, name)], args=[self.owner, self._ttl_ms]))

    def release(self, name: str) -> None:
        self._release(keys=[key(LEASE, name)], args=[self.owner])

    def push_if_held(self, name: str, queue: str, value: str, keep: int) -> bool:
        """RPUSH `value` to `queue` (trimmed to its newest `keep`) only while holding `name`."""
        return bool(self._push(keys=[key(LEASE, name), queue], args=[self.owner, value, keep]))


def holder(r: redis.Redis, name: str) -> str | None:
    value = r.get(key(LEASE, name))
    return text(value) if value is not None else None
