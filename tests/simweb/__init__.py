"""A simulated web for tests and benchmarks: synthetic cities (sample data), their sites and portals.

``build_population`` makes the cities, ``SimWeb`` serves them on 127.0.0.1 with optional latency
and a ``FaultPlan`` of misbehaving hosts. See ``server`` for the HTTP side, ``formats`` for bodies.
"""
