import threading

import pytest

from app.pipeline.prefetch import prefetched


def test_items_arrive_in_order_from_another_thread():
    threads = set()

    def produce():
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(prefetched(produce(), depth=3)) == list(range(50))
    assert threads == {"frame-prefetch"}


def test_producer_errors_surface_in_the_consumer_after_earlier_items():
    def produce():
        yield 1
        yield 2
        raise ValueError("corrupt frame")

    seen = []
    with pytest.raises(ValueError, match="corrupt frame"):
        for item in prefetched(produce()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_source_in_the_producer_thread():
    closed_in = []

    def produce():
        try:
            yield from range(1000)
        finally:
            closed_in.append(threading.current_thread().name)

    for item in prefetched(produce(), depth=2):
        if item == 3:
            break
    assert closed_in == ["frame-prefetch"]
