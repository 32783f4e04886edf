"""Development and test doubles of the external systems wooxero talks to.

Nothing in here imports ``server``, and ``server`` never imports these packages: each double
re-implements the real system's HTTP behaviour independently so that it can catch our bugs.
"""
