"""Plenary load tests: Locust users that speak Socket.IO over real websockets, named
scenarios driven by one presenter, and a runner that starts the server, runs Locust
headless and judges the result against a service-level objective (see docs/loadtest.md).
"""
