"""Where runs happen: the ``Runner`` protocol (``runner``), this process's engine behind a fair
queue (``local_runner``, ``fair_queue``), the Redis run queue (``redis_queue``) with its
submitting side (``redis_runner``) and ``duet worker`` (``worker``), the queue's JSON encoding of
runs (``wire``), and the choice between them from Settings (``choice``)."""
