"""What both sandboxes share, written once: fault injection, the live config behind
``/_sandbox/config``, the Flask app and the thread that serves it, and the command line.

Each sandbox keeps what is its own (which faults it offers, which settings change at run
time, which flags its command line takes) and hands it to these pieces.
"""
