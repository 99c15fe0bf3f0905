"""Development tools: nova-shaped notifications (``emitter``), a simulated
cloud's stream with its expected graph (``simulator``). Nothing on the service path imports them."""
