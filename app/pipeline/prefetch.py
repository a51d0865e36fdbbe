"""Run an iterator in a background thread, a few items ahead of its consumer.

The analyser decodes, blurs and detects upcoming frames in this thread while the main thread
embeds faces. OpenCV releases the GIL during decoding and detection, so on a 2-core box the two
overlap even though dlib's embedding holds the GIL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Yield `items` in order, produced up to `depth` ahead; producer errors re-raise here.

    When the consumer stops early (break, exception), the producer stops at its next item and the
    underlying iterator is closed in the producer's thread.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        producer.join()
