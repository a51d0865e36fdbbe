"""Scale-out on Celery + Redis (docs/scale.md), used only when QUEUE_URL is set.

front.py is what `serve` runs analyses through; worker.py is `python -m app worker`; the rest is
what both sides share: the Celery app and Redis keys (broker.py), plain-value codecs (codec.py),
uploads carried through Redis (uploads.py), the live-worker registry (registry.py) and the leases
by which each watched camera is held by one worker (leases.py; app/cameras/sharing.py uses them).
"""
