"""A loopback SIFIS-Home DHT node for the tests, faithful to docs/bus.md.

One websocket endpoint, one JSON text frame per message. `RequestPostTopicUUID` stores the value
(replacing the previous one of the same topic_name and topic_uuid) and sends `Persistent` to every
client, the poster included; `RequestDeleteTopicUUID` removes it (`deleted: true`);
`RequestPubMessage` sends `Volatile`; `RequestGetAll`, `RequestGetTopicName` and
`RequestGetTopicUUID` answer `Response`. No acknowledgement. A malformed frame, or a client more
than 64 messages behind, is disconnected. `inject` plays another node's post (gossip).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

MAX_BEHIND = 64


class _Client:
    """A connection with its own send queue, so one slow reader cannot stall the node."""

    def __init__(self, conn: ServerConnection) -> None:
        self.conn = conn
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._write, daemon=True).start()

    def push(self, text: str) -> None:
        if self._queue.qsize() >= MAX_BEHIND:
            self.conn.close(1008, "too far behind")
        self._queue.put(text)

    def end(self) -> None:
        self._queue.put(None)

    def _write(self) -> None:
        while (text := self._queue.get()) is not None:
            try:
                self.conn.send(text)
            except ConnectionClosed:
                return


class DhtServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"ws://127.0.0.1:{port}/ws"
        self.posts: list[dict[str, Any]] = []  # every RequestPostTopicUUID received, in order
        self._store: dict[tuple[str, str], Any] = {}
        self._clients: set[_Client] = set()
        self._changed = threading.Condition()
        self._server: Server | None = None

    def start(self) -> DhtServer:
        server = serve(self._handle, "127.0.0.1", self.port, compression=None, close_timeout=1)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: stop listening and drop every client."""
        with self._changed:
            clients = list(self._clients)
        for client in clients:
            client.conn.close()
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    @property
    def client_count(self) -> int:
        with self._changed:
            return len(self._clients)

    def inject(self, topic_name: str, topic_uuid: str, value: Any) -> None:
        """Another node's post, gossiped to this node's clients."""
        self._post(topic_name, topic_uuid, value)

    def wait_post(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        """The first post (`{"topic_name", "topic_uuid", "value"}`) for which `match` is true."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [p for p in self.posts if match(p)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching post in {timeout} s; got {self.posts}")
                self._changed.wait(left)

    def wait_clients(self, count: int, timeout: float = 30.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._clients) >= count, timeout):
                raise AssertionError(f"{count} client(s) did not connect in {timeout} s")

    def _handle(self, conn: ServerConnection) -> None:
        client = _Client(conn)
        with self._changed:
            self._clients.add(client)
            self._changed.notify_all()
        try:
            for text in conn:
                if not self._dispatch(client, text):
                    conn.close(1003, "malformed frame")
                    break
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._clients.discard(client)
            client.end()

    def _dispatch(self, client: _Client, text: str | bytes) -> bool:
        try:
            message = json.loads(text)
        except ValueError:
            return False
        if message == "RequestGetAll":
            client.push(self._response(list(self._store.values())))
            return True
        if not isinstance(message, dict) or len(message) != 1:
            return False
        ((kind, body),) = message.items()
        if not isinstance(body, dict):
            return False
        if kind == "RequestPostTopicUUID" and {"topic_name", "topic_uuid", "value"} <= body.keys():
            self._post(body["topic_name"], body["topic_uuid"], body["value"])
        elif kind == "RequestDeleteTopicUUID" and {"topic_name", "topic_uuid"} <= body.keys():
            value = self._store.pop((body["topic_name"], body["topic_uuid"]), None)
            self._broadcast(body["topic_name"], body["topic_uuid"], value, deleted=True)
        elif kind == "RequestPubMessage" and "value" in body:
            self._send_all(json.dumps({"Volatile": {"value": body["value"]}}))
        elif kind == "RequestGetTopicName" and "topic_name" in body:
            client.push(
                self._response([v for (t, _), v in self._store.items() if t == body["topic_name"]])
            )
        elif kind == "RequestGetTopicUUID" and {"topic_name", "topic_uuid"} <= body.keys():
            client.push(self._response(self._store.get((body["topic_name"], body["topic_uuid"]))))
        else:
            return False
        return True

    def _post(self, topic_name: str, topic_uuid: str, value: Any) -> None:
        with self._changed:
            self._store[(topic_name, topic_uuid)] = value
            self.posts.append({"topic_name": topic_name, "topic_uuid": topic_uuid, "value": value})
            self._changed.notify_all()
        self._broadcast(topic_name, topic_uuid, value, deleted=False)

    def _broadcast(self, topic_name: str, topic_uuid: str, value: Any, deleted: bool) -> None:
        body = {"value": value, "topic_name": topic_name, "topic_uuid": topic_uuid}
        self._send_all(json.dumps({"Persistent": {**body, "deleted": deleted}}))

    def _send_all(self, text: str) -> None:
        with self._changed:
            clients = list(self._clients)
        for client in clients:
            client.push(text)

    @staticmethod
    def _response(value: Any) -> str:
        return json.dumps({"Response": {"value": value}})
