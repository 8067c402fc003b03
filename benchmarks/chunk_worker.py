"""The Celery app of benchmarks/rebuild_workers.py: one task that scores one chunk of a rebuild.

It is the engine half of the site's `matching.tasks.run_chunk_task`: load the saved model
(once per worker process), take chunk `index` of `chunks` (`engine.chunk_sources`, as
`matching.services.run_chunk` does) and call `engine.suggest` on it. The site then writes
the suggestions to the database; here the task returns a digest of them instead, so that
the driver can check that the chunks together give exactly what one call gives.

Started by the driver, never by hand:

    celery -A chunk_worker worker --concurrency 1   (cwd benchmarks/, BENCH_REDIS_URL set)
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time
from pathlib import Path

from celery import Celery

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from match_speed import rss_mib  # noqa: E402  (benchmarks/ is this worker's folder)

from matching import engine  # noqa: E402

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("chunk_worker", broker=URL, backend=URL)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,  # a worker takes a chunk only when it is free
    task_track_started=True,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
)

_models: dict[str, engine.Model] = {}


def digest(suggestions) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for s in suggestions:
        hasher.update(f"{s.source}\t{s.target}\t{s.score}\t{'|'.join(s.reasons)}\n".encode())
    return hasher.hexdigest()


@app.task(name="bench.score_chunk")
def score_chunk(model_path: str, index: int, chunks: int, top: int = 10) -> dict:
    started = time.time()
    load_s = 0.0
    if model_path not in _models:
        start = time.perf_counter()
        _models.clear()
        model = engine.Model.loads(Path(model_path).read_bytes())
        load_s = time.perf_counter() - start
        _models[model_path] = model
    model = _models[model_path]
    sources = engine.chunk_sources(model, index, chunks)
    start, cpu = time.perf_counter(), time.process_time()
    suggestions = engine.suggest(model, sources, top=top)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    # Per source, in source order: the digests of all chunks, concatenated in chunk order,
    # equal the digest of one call's suggestions grouped the same way.
    return {
        "index": index,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "threads": engine.THREADS,
        "sources": len(sources),
        "suggestions": len(suggestions),
        "digest": digest(suggestions),
        "load_s": load_s,
        "suggest_s": seconds,
        "suggest_cpu": cpu_s,
        "started": started,
        "finished": time.time(),
        "peak_rss_mib": rss_mib("VmHWM"),
    }
