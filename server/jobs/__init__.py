"""Background work on RQ: the only package that imports rq.

Tasks take primitive ids, open their own app context and transaction, and are safe to run
twice. Web code enqueues through `server.jobs.queues`; it never does the work itself.
"""
