#!/usr/bin/env python3
"""poolbench's Python peers: the notebook's own programs, timed beside poolbench's executors.

A user choosing between Python and Rust pools wants both measured on the same machine in the
same run. This script times the Python side: exercise 8 end to end (`with Pool(n) as p:
p.map(sq, range(1, 11))`) under each start method, exercise 7 end to end (a ThreadPoolExecutor
mapping math.factorial over 1..10), warm maps on pools already up, a warm `apply` round trip,
one `math.factorial(20000)`, the same trial-division prime count as poolbench's cpu-spin, and
the CPU-bound and I/O-wait batches of the crossover suite. Same inputs as the Rust suites, and
`Pool.map` with its default chunksize, `ceil(len / (4 * n))`, which is the rule poolbench's pools
follow: like for like. Every sample's result is checked against an independent reference.

Standard library only. Output: one JSON document, the *peers file*, whose rows have the shape of
the rows of poolbench's summary.json (schema and fields: reports/README.md, "The peers file").
`cargo bench` runs this script (embedded in the poolbench library) after the suites and puts its
rows beside the Rust ones in the report; it can also be run by hand:

    python3 scripts/python_peers.py --quick --sizes 2          # seconds: a smoke test
    python3 scripts/python_peers.py --sizes 2,4,8 --out peers.json
    python3 scripts/python_peers.py startup                    # only ids matching a regex

Timing: each measurement runs once untimed (a warm-up, skipped in --quick), then is repeated
until --samples samples or until --budget seconds have passed with at least --min-samples; each
sample is one iteration timed with time.perf_counter_ns. The median's interval is
distribution-free: the order statistics whose coverage, from the binomial distribution, is at
least 95% (at least 6 samples are needed for that; with fewer, the interval is [min, max] and the
row's confidence_level says its true, lower coverage). The mean's interval is a bootstrap
percentile interval at the same level.

Memory: around each measurement, the process tree (this process and its live descendants, found
by parent in /proc/<pid>/stat) is read from /proc/<pid>/smaps_rollup, as poolbench reads its own
(reports/README.md, "Memory"): before the session (the baseline), once the pool is up and warm
(steady), and after each sample, outside its timing (the peak). POOLBENCH_MEMORY=0 reads nothing.
"""

import argparse
import concurrent.futures
import contextlib
import datetime
import functools
import json
import math
import multiprocessing
import operator
import os
import platform
import random
import re
import socket
import statistics
import struct
import sys
import time

SCHEMA_VERSION = 1
GENERATOR = "poolbench scripts/python_peers.py"
CONFIDENCE = 0.95

# The Rust suites' workloads (src/catalog.rs): the same numbers, so that the work is the same.
SQUARES_10 = range(1, 11)
SQUARES_10K = range(1, 10_001)
FACTORIAL_10 = range(1, 11)
FACTORIAL_LARGE = range(2_000, 20_001, 2_000)
CPU_SPIN_BOUND = 20_000
CPU_SPIN_PRIMES = 2_262
BATCH_TASKS = 16
SLEEP_SECONDS = 0.001
ROUND_TRIP_INPUT = 7


# The work. Top-level functions, so that pickle finds them by name in workers started by spawn
# and forkserver, which import this file as their __main__.


def sq(n):
    """Exercise 8's compute_square."""
    return n * n


def count_primes_below(bound):
    """poolbench's cpu-spin, step for step: 2 counted up front, odd candidates, odd divisors."""
    if bound <= 2:
        return 0
    count = 1
    candidate = 3
    while candidate < bound:
        divisor = 3
        prime = True
        while divisor * divisor <= candidate:
            if candidate % divisor == 0:
                prime = False
                break
            divisor += 2
        if prime:
            count += 1
        candidate += 2
    return count


def sleep_token(token):
    """The notebook's I/O simulation: sleep 1 ms, give the token back."""
    time.sleep(SLEEP_SECONDS)
    return token


def tcp_request(address, value):
    """One blocking request to poolbench's LatencyServer: connect, send the value as 8 big-endian
    bytes, read 8 big-endian bytes (value + 1, wrapping), close."""
    with socket.create_connection(address) as connection:
        connection.sendall(struct.pack(">Q", value))
        answer = b""
        while len(answer) < 8:
            chunk = connection.recv(8 - len(answer))
            if not chunk:
                raise ConnectionError(f"the latency server at {address[0]}:{address[1]} closed early")
            answer += chunk
    return struct.unpack(">Q", answer)[0]


def echo_bytes(requests, answers):
    """The far end of the pipe floor: send back every message until an empty one."""
    while True:
        message = requests.recv_bytes()
        if not message:
            return
        answers.send_bytes(message)


# Independent references: another way to the same answer, computed once, outside any timing.


def factorial_reference(n):
    return functools.reduce(operator.mul, range(2, n + 1), 1)


def primes_below_reference(bound):
    composite = bytearray(bound)
    count = 0
    for k in range(2, bound):
        if not composite[k]:
            count += 1
            for multiple in range(k * k, bound, k):
                composite[multiple] = 1
    return count


# Statistics.


def binomial_tail(n, k):
    """P(B <= k) for B ~ Binomial(n, 1/2), exactly."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def median_interval(n, level=CONFIDENCE):
    """The distribution-free interval of the median: (k, coverage) such that the k-th smallest and
    the k-th largest of n samples bound it with probability `coverage` = 1 - 2 P(B <= k - 1), the
    narrowest with coverage >= level; (1, its coverage) when even [min, max] falls short."""
    best = (1, 1 - 2 * binomial_tail(n, 0))
    for k in range(2, (n + 1) // 2 + 1):
        coverage = 1 - 2 * binomial_tail(n, k - 1)
        if coverage < level:
            break
        best = (k, coverage)
    return best


def bootstrap_mean_interval(samples, level, resamples=2_000):
    """A percentile bootstrap interval of the mean at `level`, with a fixed seed: reproducible."""
    if len(samples) < 2 or level <= 0:
        mean = statistics.fmean(samples)
        return mean, mean
    rng = random.Random(0x9E3779B9)
    means = sorted(statistics.fmean(rng.choices(samples, k=len(samples))) for _ in range(resamples))
    tail = (1 - level) / 2
    low = means[min(resamples - 1, int(math.floor(tail * resamples)))]
    high = means[max(0, int(math.ceil((1 - tail) * resamples)) - 1)]
    return low, high


def describe(samples):
    """The statistics of one row, in the summary's row shape."""
    ordered = sorted(samples)
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    k, coverage = median_interval(n)
    mean = statistics.fmean(ordered)
    mean_low, mean_high = bootstrap_mean_interval(ordered, coverage)
    return {
        "confidence_level": coverage,
        "median_ns": {"point": median, "lower": float(ordered[k - 1]), "upper": float(ordered[n - k])},
        "mean_ns": {"point": mean, "lower": min(mean_low, mean), "upper": max(mean_high, mean)},
        "std_dev_ns": statistics.stdev(ordered) if n > 1 else 0.0,
        "n": n,
        "samples_ns": [float(sample) for sample in samples],
    }


# The measurements.


class CheckFailed(Exception):
    """A program gave a wrong answer: its row would measure something else."""


class Peer:
    """One row: a Python program doing one Rust benchmark's work.

    `session` is a context manager that sets up what the timing leaves out (a warm pool) and
    yields `once`, one timed iteration returning its result; `expected` is the right result.
    Peers with the same `key` are the same program on the same input: measured once per run, the
    later ones say `same_measurement_as`.
    """

    def __init__(self, group, executor, value, label, program, checked, expected, session, **extra):
        self.group = group
        self.executor = executor
        self.value = str(value)
        self.label = label
        self.program = program
        self.checked = checked
        self.expected = expected
        self.session = session
        self.start_method = extra.get("start_method")
        self.size = extra.get("size")
        self.key = extra.get("key")

    @property
    def id(self):
        return f"{self.group}/{self.executor}/{self.value}"


def end_to_end(once):
    """A session with nothing to set up: the timed iteration is the whole program."""

    @contextlib.contextmanager
    def session():
        yield once

    return session


def warm_pool(method, n, call):
    """A session with a multiprocessing pool already up: `call(pool)` is timed."""

    @contextlib.contextmanager
    def session():
        with multiprocessing.get_context(method).Pool(n) as pool:
            yield lambda: call(pool)

    return session


def warm_threads(n, call):
    """A session with a ThreadPoolExecutor already up: `call(executor)` is timed."""

    @contextlib.contextmanager
    def session():
        with concurrent.futures.ThreadPoolExecutor(n) as executor:
            yield lambda: call(executor)

    return session


@contextlib.contextmanager
def pipe_floor_session():
    """A forked process echoing over a pair of pipes (multiprocessing's Connection, bytes only)."""
    context = multiprocessing.get_context("fork")
    requests_read, requests_write = context.Pipe(duplex=False)
    answers_read, answers_write = context.Pipe(duplex=False)
    echo = context.Process(target=echo_bytes, args=(requests_read, answers_write), daemon=True)
    echo.start()
    message = struct.pack(">Q", ROUND_TRIP_INPUT)

    def once():
        requests_write.send_bytes(message)
        return answers_read.recv_bytes()

    try:
        yield once
    finally:
        requests_write.send_bytes(b"")
        echo.join(5)
        if echo.is_alive():
            echo.kill()
            echo.join()


def plan(sizes, crossover_sizes, start_methods, latency_server):
    """Every peer, in the report's group order (src/catalog.rs), executors outer, sizes inner."""
    squares_10 = [sq(n) for n in SQUARES_10]
    squares_10k = [n**2 for n in SQUARES_10K]
    factorials_10 = [factorial_reference(n) for n in FACTORIAL_10]
    factorials_large = [factorial_reference(n) for n in FACTORIAL_LARGE]
    primes = primes_below_reference(CPU_SPIN_BOUND)
    if primes != CPU_SPIN_PRIMES:
        raise CheckFailed(f"the sieve counts {primes} primes below {CPU_SPIN_BOUND}, not {CPU_SPIN_PRIMES}")
    spin_inputs = [CPU_SPIN_BOUND] * BATCH_TASKS
    tokens = list(range(BATCH_TASKS))
    tcp_values = list(range(1, BATCH_TASKS + 1))

    peers = []

    def add(group, executor, value, label, program, checked, expected, session, **extra):
        peers.append(Peer(group, executor, value, label, program, checked, expected, session, **extra))

    def add_maps(group, ns, function, inputs, name, inputs_text, checked, expected):
        """A batch mapped by a Python loop (none for cpu-spin: 16 of the call task/cpu-spin times,
        about 150 ms a sample), then by a warm Pool and a warm ThreadPoolExecutor of each size in
        ns. Keys are per case, so pools/<case> and crossover/<case> measure a size once."""
        case = group.split("/", 1)[1]
        inputs = list(inputs)
        if case != "cpu-spin":
            add(group, "python-sequential", 1, "a Python loop", f"list(map({name}, {inputs_text}))",
                checked, expected, end_to_end(functools.partial(lambda f, xs: list(map(f, xs)), function, inputs)),
                size=1, key=("sequential", case))
        for n in ns:
            add(group, "python-pool-fork", n, "multiprocessing.Pool (fork)",
                f"pool.map({name}, {inputs_text})  # Pool({n}) already up, default chunksize", checked, expected,
                warm_pool("fork", n, functools.partial(lambda f, xs, pool: pool.map(f, xs), function, inputs)),
                start_method="fork", size=n, key=("pool-map", case, n))
        for n in ns:
            add(group, "python-threadpool", n, "ThreadPoolExecutor",
                f"list(executor.map({name}, {inputs_text}))  # ThreadPoolExecutor({n}) already up", checked,
                expected, warm_threads(n, functools.partial(lambda f, xs, ex: list(ex.map(f, xs)), function, inputs)),
                size=n, key=("thread-map", case, n))

    # task: one call on one thread, beside poolbench's task suite (value = the input).
    for n in (2_000, 20_000):
        add("task/factorial", "python", n, "math.factorial", f"math.factorial({n})",
            f"{n}! against a product loop", factorial_reference(n),
            end_to_end(functools.partial(math.factorial, n)))
    add("task/cpu-spin", "python", CPU_SPIN_BOUND, "Python trial division",
        f"count_primes_below({CPU_SPIN_BOUND})", f"{CPU_SPIN_PRIMES} primes, as a sieve counts",
        primes, end_to_end(functools.partial(count_primes_below, CPU_SPIN_BOUND)))

    # pools: steady state, the pool up before timing; the same inputs as poolbench's pools suite.
    batches = [
        ("pools/squares-10", sq, SQUARES_10, "sq", "range(1, 11)", "squares of 1..10", squares_10),
        ("pools/factorial-10", math.factorial, FACTORIAL_10, "math.factorial", "range(1, 11)",
         "factorials of 1..10 against product loops", factorials_10),
        ("pools/factorial-large", math.factorial, FACTORIAL_LARGE, "math.factorial",
         "range(2000, 20001, 2000)", "factorials of 2000..20000 against product loops", factorials_large),
        ("pools/cpu-spin", count_primes_below, spin_inputs, "count_primes_below", "[20000] * 16",
         f"{CPU_SPIN_PRIMES} primes in each of 16 tasks", [primes] * BATCH_TASKS),
        ("pools/squares-10k", sq, SQUARES_10K, "sq", "range(1, 10001)", "squares of 1..10000", squares_10k),
        ("pools/io-sleep", sleep_token, tokens, "sleep_token", "range(16)", "16 tokens echoed", tokens),
    ]
    if latency_server:
        request = functools.partial(tcp_request, latency_server)
        batches.append(("pools/io-tcp", request, tcp_values, "tcp_request", "range(1, 17)",
                        "16 answers of value + 1 from the latency server", [v + 1 for v in tcp_values]))
    for group, function, inputs, name, inputs_text, checked, expected in batches:
        add_maps(group, sizes, function, inputs, name, inputs_text, checked, expected)
    # pools/factorial-large also on warm forkserver and spawn pools: what a pool of each start
    # method holds in memory beside ProcessPool (reports/README.md, "Memory").
    for method in (m for m in start_methods if m != "fork"):
        for n in sizes:
            add("pools/factorial-large", f"python-pool-{method}", n, f"multiprocessing.Pool ({method})",
                f"pool.map(math.factorial, range(2000, 20001, 2000))  # get_context({method!r}).Pool({n}) "
                "already up, default chunksize", "factorials of 2000..20000 against product loops",
                factorials_large,
                warm_pool(method, n, functools.partial(lambda f, xs, pool: pool.map(f, xs), math.factorial,
                                                       FACTORIAL_LARGE)),
                start_method=method, size=n, key=(f"pool-map-{method}", "factorial-large", n))

    # startup: the notebook's programs end to end, pool start and shut-down included. With spawn
    # and forkserver Pool() returns before its workers run, so the whole `with` block is timed.
    for method in start_methods:
        for n in sizes:
            def ex8(method=method, n=n):
                with multiprocessing.get_context(method).Pool(n) as pool:
                    return pool.map(sq, SQUARES_10)

            add("startup/ex8-squares", f"python-pool-{method}", n, f"multiprocessing.Pool ({method})",
                f"with multiprocessing.get_context({method!r}).Pool({n}) as pool: pool.map(sq, range(1, 11))",
                "squares of 1..10", squares_10, end_to_end(ex8), start_method=method, size=n)
    for n in sizes:
        def ex7(n=n):
            with concurrent.futures.ThreadPoolExecutor(n) as executor:
                return list(executor.map(math.factorial, FACTORIAL_10))

        add("startup/ex7-factorial", "python-threadpool", n, "ThreadPoolExecutor",
            f"with ThreadPoolExecutor({n}) as executor: list(executor.map(math.factorial, range(1, 11)))",
            "factorials of 1..10 against product loops", factorials_10, end_to_end(ex7), size=n)

    # ipc: one task there and back on a pool already up, and the pipe floor beneath it.
    round_trip = sq(ROUND_TRIP_INPUT)
    add("ipc/round-trip", "python-pipe-floor", 1, "a multiprocessing pipe round trip",
        "answers.recv_bytes() after requests.send_bytes(8 bytes)  # a forked echo process",
        "the 8 bytes echoed", struct.pack(">Q", ROUND_TRIP_INPUT), pipe_floor_session, size=1)
    for n in sizes:
        add("ipc/round-trip", "python-pool-apply", n, "multiprocessing.Pool.apply (fork)",
            f"pool.apply(sq, ({ROUND_TRIP_INPUT},))  # Pool({n}) already up", f"{round_trip}",
            round_trip, warm_pool("fork", n, lambda pool: pool.apply(sq, (ROUND_TRIP_INPUT,))),
            start_method="fork", size=n)
    for n in sizes:
        add("ipc/round-trip", "python-threadpool", n, "ThreadPoolExecutor",
            f"executor.submit(sq, {ROUND_TRIP_INPUT}).result()  # ThreadPoolExecutor({n}) already up",
            f"{round_trip}", round_trip,
            warm_threads(n, lambda executor: executor.submit(sq, ROUND_TRIP_INPUT).result()), size=n)

    # crossover: the CPU-bound and I/O-wait batches across sizes 1 .. 2 x the largest.
    crossover = [
        ("cpu-spin", count_primes_below, spin_inputs, "count_primes_below", "[20000] * 16",
         f"{CPU_SPIN_PRIMES} primes in each of 16 tasks", [primes] * BATCH_TASKS),
        ("io-sleep", sleep_token, tokens, "sleep_token", "range(16)", "16 tokens echoed", tokens),
    ]
    if latency_server:
        crossover.append(("io-tcp", functools.partial(tcp_request, latency_server), tcp_values, "tcp_request",
                          "range(1, 17)", "16 answers of value + 1 from the latency server",
                          [v + 1 for v in tcp_values]))
    for case, function, inputs, name, inputs_text, checked, expected in crossover:
        add_maps(f"crossover/{case}", crossover_sizes, function, inputs, name, inputs_text, checked, expected)
    return peers


# Memory: the process tree's proportional and resident sizes.


def memory_enabled():
    value = os.environ.get("POOLBENCH_MEMORY", "").strip().lower()
    return value not in ("0", "off", "false", "no")


def rollup(pid):
    """(Pss, Rss) of process `pid` ("self" for this one) in bytes, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("Pss", "Rss") and rest.strip().endswith("kB"):
            fields[name] = int(rest.strip()[:-2]) * 1024
    if "Pss" not in fields or "Rss" not in fields:
        return None
    return fields["Pss"], fields["Rss"]


def descendants():
    """The pids of this process's live descendants, found by parent in /proc/<pid>/stat."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    found, frontier = [], [os.getpid()]
    while frontier:
        found_now = [pid for parent in frontier for pid in children.get(parent, [])]
        found.extend(found_now)
        frontier = found_now
    return found


def tree_sample():
    """The tree's memory now, in the shape of poolbench's TreeSample; None when unreadable."""
    own = rollup("self")
    if own is None:
        return None
    sample = {"pss_bytes": own[0], "rss_bytes": own[1], "children_pss_bytes": 0, "processes": 0}
    for pid in descendants():
        read = rollup(pid)
        if read is not None:
            sample["pss_bytes"] += read[0]
            sample["rss_bytes"] += read[1]
            sample["children_pss_bytes"] += read[0]
            sample["processes"] += 1
    return sample


class MemoryTracker:
    """A measurement's memory: baseline, steady state, and the peak among the samples after."""

    def __init__(self):
        self.baseline = tree_sample() if memory_enabled() else None
        self.steady = self.peak = None
        self.samples = 0
        self.spent_ns = 0

    def at_steady_state(self):
        if self.baseline is not None:
            self.steady = self.peak = tree_sample()

    def mark(self):
        if self.steady is None:
            return
        begin = time.perf_counter_ns()
        now = tree_sample()
        self.spent_ns += time.perf_counter_ns() - begin
        self.samples += 1
        if now is not None and now["pss_bytes"] > self.peak["pss_bytes"]:
            self.peak = now

    def figures(self):
        if self.steady is None:
            return None
        return {"baseline": self.baseline, "steady": self.steady, "peak": self.peak, "samples": self.samples,
                "sample_ns": self.spent_ns // max(self.samples, 1)}


# Running them.


class Settings:
    def __init__(self, max_samples, min_samples, budget_seconds, warm_up):
        self.max_samples = max_samples
        self.min_samples = min_samples
        self.budget_ns = int(budget_seconds * 1e9)
        self.budget_seconds = budget_seconds
        self.warm_up = warm_up


class ParentGone(Exception):
    """The process that started this one is gone (a Ctrl-C'd cargo bench): stop, tidily."""


def check(peer, result):
    if result != peer.expected:
        shown = repr(result)
        raise CheckFailed(f"{peer.id} gave a wrong result ({shown[:80]}{'...' if len(shown) > 80 else ''}), "
                          f"expected {peer.checked}")


def measure(peer, settings, parent):
    """The samples of one peer, in ns, every result checked, and its memory (None when not read)."""
    samples = []
    memory = MemoryTracker()
    with peer.session() as once:
        if settings.warm_up:
            check(peer, once())
        memory.at_steady_state()
        started = time.perf_counter_ns()
        while len(samples) < settings.max_samples:
            begin = time.perf_counter_ns()
            result = once()
            end = time.perf_counter_ns()
            check(peer, result)
            samples.append(end - begin)
            memory.mark()
            if os.getppid() != parent:
                raise ParentGone()
            if len(samples) >= settings.min_samples and end - started >= settings.budget_ns:
                break
    return samples, memory.figures()


def row_of(peer, stats, same_as, memory):
    row = {
        "source": "python",
        "id": peer.id,
        "executor": peer.executor,
        "value": peer.value,
        "size": peer.size,
    }
    row.update(stats)
    row.update({
        "speedup": None,
        "efficiency": None,
        "tasks_per_second": None,
        "criterion_dir": None,
        "criterion_page": None,
        "group": peer.group,
        "label": peer.label,
        "start_method": peer.start_method,
        "program": peer.program,
        "checked": peer.checked,
        "same_measurement_as": same_as,
        "memory": memory,
    })
    return row


def python_info():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "start_methods": multiprocessing.get_all_start_methods(),
        "default_start_method": multiprocessing.get_start_method(allow_none=True)
        or multiprocessing.get_context().get_start_method(),
    }


def selected(peer, pattern):
    return pattern is None or pattern.search(peer.id) is not None


def progress(text):
    print(f"python peers: {text}", file=sys.stderr, flush=True)


def run(args):
    started_at = datetime.datetime.now(datetime.timezone.utc)
    wall = time.perf_counter()
    parent = os.getppid()
    sizes = sorted(set(args.sizes))
    crossover_sizes = sorted({1, *sizes, 2 * max(sizes)})
    if args.quick:
        settings = Settings(max_samples=3, min_samples=1, budget_seconds=0.05, warm_up=False)
    else:
        settings = Settings(args.samples, args.min_samples, args.budget, warm_up=True)
    start_methods = [m for m in ("fork", "forkserver", "spawn") if m in multiprocessing.get_all_start_methods()]
    pattern = compile_filter(args.filter)
    peers = [peer for peer in plan(sizes, crossover_sizes, start_methods, args.latency_server)
             if selected(peer, pattern)]

    rows, failures, measured = [], [], {}
    for index, peer in enumerate(peers, 1):
        same_as = None
        try:
            if peer.key is not None and peer.key in measured:
                same_as, samples, memory = measured[peer.key]
            else:
                samples, memory = measure(peer, settings, parent)
                if peer.key is not None:
                    measured[peer.key] = (peer.id, samples, memory)
        except ParentGone:
            progress("the process that started this one is gone; stopping")
            return None
        except Exception as error:  # noqa: BLE001 - one program failing must not lose the others
            failures.append({"id": peer.id, "reason": f"{type(error).__name__}: {error}"})
            progress(f"[{index}/{len(peers)}] {peer.id}: FAILED: {type(error).__name__}: {error}")
            continue
        stats = describe(samples)
        rows.append(row_of(peer, stats, same_as, memory))
        note = f" (same measurement as {same_as})" if same_as else ""
        progress(f"[{index}/{len(peers)}] {peer.id}: median {format_ns(stats['median_ns']['point'])}, "
                 f"{stats['n']} samples{note}")

    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "status": "measured",
        "reason": None,
        "python": python_info(),
        "parameters": {
            "sizes": sizes,
            "crossover_sizes": crossover_sizes,
            "quick": args.quick,
            "max_samples": settings.max_samples,
            "min_samples": settings.min_samples,
            "budget_seconds": settings.budget_seconds,
            "warm_up": settings.warm_up,
            "confidence_target": CONFIDENCE,
            "filter": args.filter,
            "latency_server": f"{args.latency_server[0]}:{args.latency_server[1]}" if args.latency_server else None,
            "chunking": "Pool.map's default chunksize, ceil(len / (4 * n))",
        },
        "started": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "wall_seconds": round(time.perf_counter() - wall, 3),
        "rows": rows,
        "failures": failures,
    }


def format_ns(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def compile_filter(text):
    """cargo bench's filter is a regex over benchmark ids; an invalid one is taken literally."""
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return re.compile(re.escape(text))


def self_test():
    """Checks of the statistics and the checks themselves, for poolbench's test suite."""
    assert median_interval(5) == (1, 1 - 2 / 32), median_interval(5)
    k, coverage = median_interval(6)
    assert (k, round(coverage, 6)) == (1, round(1 - 2 / 64, 6)), (k, coverage)
    k, coverage = median_interval(20)
    assert k == 6 and coverage >= CONFIDENCE and 1 - 2 * binomial_tail(20, 6) < CONFIDENCE, (k, coverage)
    assert median_interval(1) == (1, 0.0)
    stats = describe([5, 1, 4, 2, 3, 9, 7, 8, 6, 10])
    assert stats["median_ns"]["point"] == 5.5 and stats["n"] == 10, stats
    assert stats["median_ns"]["lower"] <= 5.5 <= stats["median_ns"]["upper"], stats
    assert stats["mean_ns"]["lower"] <= 5.5 <= stats["mean_ns"]["upper"], stats
    assert count_primes_below(CPU_SPIN_BOUND) == primes_below_reference(CPU_SPIN_BOUND) == CPU_SPIN_PRIMES
    assert [count_primes_below(b) for b in (0, 2, 3, 10, 100)] == [0, 0, 1, 4, 25]
    assert factorial_reference(20) == math.factorial(20)
    wrong = Peer("g/c", "python", 1, "x", "x", "squares of 1..10", [1, 4], end_to_end(lambda: [1, 5]))
    try:
        check(wrong, [1, 5])
    except CheckFailed as error:
        assert "g/c/python/1" in str(error), error
    else:
        raise AssertionError("a wrong result passed the check")
    print("self-test passed")


def address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def sizes(text):
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of pool sizes, e.g. 2,4,8")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filter", nargs="?", help="only peers whose id matches this regex (cargo bench's filter)")
    parser.add_argument("--sizes", type=sizes, default=[2, 4, 8], help="pool sizes, e.g. 2,4,8 (the default)")
    parser.add_argument("--out", default="-", help="where to write the JSON (default: standard output)")
    parser.add_argument("--quick", action="store_true", help="1 to 3 samples each, no warm-up: a smoke test")
    parser.add_argument("--latency-server", type=address, metavar="HOST:PORT",
                        help="poolbench's LatencyServer, for the io-tcp peers (left out without it)")
    parser.add_argument("--samples", type=int, default=25, help="at most this many samples each (default 25)")
    parser.add_argument("--min-samples", type=int, default=6,
                        help="at least this many, whatever the budget (default 6, the fewest for a 95%% interval)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds of sampling per measurement once --min-samples are in (default 1.0)")
    parser.add_argument("--self-test", action="store_true", help="check the statistics and the checks, then exit")
    args = parser.parse_args()
    if sys.version_info < (3, 8):
        sys.exit(f"python peers need Python 3.8 or later; this is {platform.python_version()}")
    if args.self_test:
        self_test()
        return
    if args.samples < 1 or args.min_samples < 1 or args.min_samples > args.samples:
        parser.error("need 1 <= --min-samples <= --samples")
    document = run(args)
    if document is None:
        sys.exit(3)
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    progress(f"{len(document['rows'])} rows, {len(document['failures'])} failures, "
             f"{document['wall_seconds']:.1f} s")


if __name__ == "__main__":
    main()
