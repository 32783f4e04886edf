"""PHP's and WordPress's own ways with amounts, dates and JSON, reproduced to the byte.

The bottom layer: everything else writes values through these so that the sandbox answers
exactly as a real store does; nothing here knows about the store.
"""
