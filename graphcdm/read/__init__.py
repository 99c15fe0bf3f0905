"""The read side: named queries (``query``), Watcher's model and collector
(``watcher_collector``), the canonical ``export`` and pictures (``viz``)."""
