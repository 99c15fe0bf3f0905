"""The notification path: envelope → parse → pipeline, fed by the listener or replay.

``envelope`` decodes what the bus (or a file) delivers, ``parse`` turns it
into typed changes (pure, the one event table), ``pipeline`` is the single
decode→parse→write path both the ``listener`` (the service) and ``replay``
(files) use; ``stats`` holds the listener's counters and HTTP endpoints.
"""
