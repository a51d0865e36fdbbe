"""The home's buses: SIFIS-Home DHT (websocket) and MQTT publishers behind one `Publisher`
protocol, a durable outbox drained by one sender per bus, and DHT-driven analysis requests.

`services` builds the `Bus` (app/bus/fanout.py) and starts it with `serve`; nothing here imports
the pipeline's models, Flask or `services` at run time.
"""
