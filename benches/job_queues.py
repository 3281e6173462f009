#!/usr/bin/env python3
"""Python job queues against a running server: RQ, Celery and Huey, each
with its defaults (no hash tags: their keys spread over every shard), as
an application would use them. Each enqueues jobs, runs a worker, checks
every result (RQ: three queues, a job depending on another, a failing job
retried then failed; Celery: tasks, a group and a chord, results in
database 1, late acks; Huey: tasks, a pipeline, a task lock), and prints
the seconds it took. It flushes the server: use a throw-away one.

Setup (a venv of its own: Celery needs redis-py 6.1 or later):
    python3 -m venv /tmp/jq && /tmp/jq/bin/pip install 'redis>=6.1' rq celery huey
    /tmp/jq/bin/python benches/job_queues.py --port PORT [--jobs 300]

Against redis-server and shardis in turn, same machine, same hour: the
ratio of the seconds is what to compare (benches/RESULTS.md, "Python job
queues").
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

TASKS = textwrap.dedent(
    """
    import os
    from celery import Celery

    def add(a, b):
        return a + b

    def boom():
        raise ValueError("boom")

    port = os.environ.get("JQ_PORT", "6379")
    app = Celery("jq_tasks", broker=f"redis://127.0.0.1:{port}/0",
                 backend=f"redis://127.0.0.1:{port}/1")
    app.conf.update(task_acks_late=True, worker_prefetch_multiplier=4)
    cadd = app.task(name="jq.add")(add)

    @app.task(name="jq.total")
    def total(xs):
        return sum(xs)
    """
)


def check(what, ok):
    if not ok:
        raise SystemExit(f"FAILED: {what}")


def run_rq(port, n):
    from redis import Redis
    from rq import Queue, Retry, Worker
    from rq.registry import FailedJobRegistry

    import jq_tasks

    r = Redis(port=port)
    r.flushall()
    qs = [Queue(name, connection=r) for name in ("high", "default", "low")]
    t = time.time()
    jobs = [qs[i % 3].enqueue(jq_tasks.add, i, 1) for i in range(n)]
    bad = qs[1].enqueue(jq_tasks.boom, retry=Retry(max=1))
    dep = qs[2].enqueue(jq_tasks.add, 1000, 1, depends_on=jobs[-1])
    Worker(qs, connection=r).work(burst=True, logging_level="WARNING")
    secs = time.time() - t
    done = [j for j in jobs if j.get_status(refresh=True) == "finished"]
    check("rq: every job finished", len(done) == n)
    check("rq: results", all(j.return_value() == j.args[0] + 1 for j in jobs))
    check("rq: the dependent job ran after", dep.return_value() == 1001)
    check("rq: the failing job failed once retried",
          bad.get_status(refresh=True) == "failed"
          and FailedJobRegistry(queue=qs[1]).count == 1)
    return secs


def run_celery(port, n, workdir):
    from celery import chord, group
    from redis import Redis

    import jq_tasks

    Redis(port=port).flushall()
    env = dict(os.environ, JQ_PORT=str(port), PYTHONPATH=workdir)
    log = open(os.path.join(workdir, "celery.log"), "w")
    w = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jq_tasks", "worker", "--pool=threads",
         "-c", "4", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        t = time.time()
        rs = [jq_tasks.cadd.delay(i, 1) for i in range(n)]
        got = [r.get(timeout=120) for r in rs]
        g = group(jq_tasks.cadd.s(i, i) for i in range(50))().get(timeout=120)
        c = chord(jq_tasks.cadd.s(i, 2) for i in range(20))(jq_tasks.total.s()).get(timeout=120)
        secs = time.time() - t
    finally:
        w.terminate()
        w.wait(timeout=60)
    check("celery: results", got == [i + 1 for i in range(n)])
    check("celery: group", g == [2 * i for i in range(50)])
    check("celery: chord", c == sum(i + 2 for i in range(20)))
    return secs


def run_huey(port, n):
    from huey import RedisHuey
    from redis import Redis

    Redis(port=port).flushall()
    huey = RedisHuey("jq", port=port, results=True)

    @huey.task()
    def add(a, b):
        return a + b

    consumer = huey.create_consumer(workers=4, worker_type="thread", periodic=False)
    # Its workers and scheduler in threads; the signal handlers it sets
    # need the main thread.
    consumer.start()
    try:
        t = time.time()
        rs = [add(i, 1) for i in range(n)]
        got = [r.get(blocking=True, timeout=120) for r in rs]
        steps = huey.enqueue(add.s(1, 2).then(add, 10).then(add, 100))
        chain = [x.get(blocking=True, timeout=120) for x in steps]
        held_twice = False
        with huey.lock_task("jq-lock"):
            try:
                with huey.lock_task("jq-lock"):
                    held_twice = True
            except Exception:
                pass
        secs = time.time() - t
    finally:
        consumer.stop(graceful=True)
    check("huey: results", got == [i + 1 for i in range(n)])
    check("huey: pipeline", chain == [3, 13, 113])
    check("huey: a lock is held once", not held_twice)
    return secs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--jobs", type=int, default=300)
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="shardis-jq-")
    with open(os.path.join(workdir, "jq_tasks.py"), "w") as f:
        f.write(TASKS)
    sys.path.insert(0, workdir)
    os.environ["JQ_PORT"] = str(a.port)
    rows = [("rq", run_rq(a.port, a.jobs)),
            ("celery", run_celery(a.port, a.jobs, workdir)),
            ("huey", run_huey(a.port, a.jobs))]
    for name, secs in rows:
        print(f"{name}: {a.jobs} jobs and the checks above in {secs:.2f} s")


if __name__ == "__main__":
    main()
