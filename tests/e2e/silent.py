"""A loopback TCP server that accepts connections and never answers: a camera that hangs.

It records every connection and whether the client has closed it, so a test can tell that an
open is in flight (connected, not closed) or has been given up (closed by the client).
"""

from __future__ import annotations

import socket
import threading
from typing import Self


class SilentCamera:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[bool] = []  # one per connection: still open on the client's side
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}/stream"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._open)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(self._open)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                number = len(self._open)
                self._open.append(True)
            threading.Thread(target=self._hold, args=(client, number), daemon=True).start()

    def _hold(self, client: socket.socket, number: int) -> None:
        """Read (and ignore) what the client sends until it hangs up."""
        with client:
            try:
                while client.recv(4096):
                    pass
            except OSError:
                pass
        with self._lock:
            self._open[number] = False

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
