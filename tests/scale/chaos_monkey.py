"""Random kills of a farm's processes for chaos tests. Every few seconds it
kills one cache node (kill -9), the leading scheduler (kill -9 or SIGTERM)
or one worker (kill -9), and starts it again a moment later: a cache node
sometimes with an empty disk, a scheduler as a standby. It never kills the
last live process of a kind. It also notes every process that exits when
nobody signalled it, or not as the signal asked. A farm-scheduler that
exits with code 3 has lost its lease; that is expected, and the process is
started again. Any other such exit is a crash.

One thread makes every kill, restart and exit check, and draws from one
seeded RNG. So a seed gives the same choices again, as far as the farm's
timing allows: which processes are alive and who leads decide what can be
picked."""

import collections
import random
import signal
import subprocess
import threading
import time

KINDS = ("cache", "scheduler", "worker")
LOST_LEAD = 3  # farm-scheduler's exit code once its lease has lapsed
STOP_TIMEOUT = 30  # seconds a signalled process has to exit in
# What a process may exit with after the signal we sent it.
ANSWERS = {signal.SIGKILL: {-signal.SIGKILL},
           signal.SIGTERM: {0, -signal.SIGTERM}}


class ChaosMonkey:
    def __init__(self, seed, nodes, group, cluster, worker_slots,
                 interval=(1.5, 4.0), downtime=(0.5, 3.0)):
        self.rng = random.Random(seed)
        self.nodes, self.group, self.cluster = nodes, group, cluster
        self.worker_slots = dict(worker_slots)
        self.interval, self.downtime = interval, downtime
        self.kills = collections.Counter()  # "cache", "scheduler SIGTERM"...
        self.crashes = []  # what exited unasked, or not as asked
        self.lost_leads = 0
        self.history = []  # (seconds since start, what happened)
        self._down = {}  # (kind, key) -> when to start it again
        self._dying = {}  # (kind, key) -> (process, signal, when sent)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began = time.time()

    def start(self):
        self._began = time.time()
        self._thread.start()

    def stop(self):
        """Stops the kills and starts again everything that is down."""
        self._stop.set()
        self._thread.join()
        for (kind, key), (proc, sig, _) in list(self._dying.items()):
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                del self._dying[(kind, key)]
                self.crashes.append(
                    f"{kind} {key} did not exit {STOP_TIMEOUT} s after "
                    f"{signal.Signals(sig).name}")
        self._reap()
        self._check_exits()
        for kind, key in list(self._down):
            self._start(kind, key)
        self._down.clear()

    def _note(self, text):
        self.history.append((time.time() - self._began, text))

    def _members(self, kind):
        if kind == "cache":
            return dict(enumerate(self.nodes.procs))
        if kind == "scheduler":
            return dict(enumerate(self.group.procs))
        return dict(self.cluster.workers)

    def _alive(self, kind):
        return [key for key, proc in self._members(kind).items()
                if (kind, key) not in self._down and proc.poll() is None]

    def _run(self):
        try:
            self._loop()
        except Exception as e:  # a node that would not start, say
            self.crashes.append(f"the chaos monkey stopped: {e!r}")
            self._note(self.crashes[-1])

    def _loop(self):
        next_kill = time.time() + self.rng.uniform(*self.interval)
        while not self._stop.wait(0.1):
            self._reap()
            self._check_exits()
            now = time.time()
            for (kind, key), due in sorted(self._down.items()):
                if due <= now and (kind, key) not in self._dying:
                    self._start(kind, key)
                    del self._down[(kind, key)]
            if now >= next_kill:
                self._kill_one()
                next_kill = time.time() + self.rng.uniform(*self.interval)

    def _check_exits(self):
        for kind in KINDS:
            for key, proc in self._members(kind).items():
                if (kind, key) in self._down or proc.poll() is None:
                    continue
                if kind == "scheduler" and proc.returncode == LOST_LEAD:
                    self.lost_leads += 1
                    self._note(f"scheduler {key} lost its lease (exit 3)")
                else:
                    self.crashes.append(f"{kind} {key} exited with "
                                        f"{proc.returncode}, unasked")
                    self._note(self.crashes[-1])
                self._down[(kind, key)] = time.time()

    def _leader(self):
        """The scheduler to kill: the one that listens, with the other alive
        to take over; None if there is no such pair right now."""
        alive = self._alive("scheduler")
        if len(alive) < 2:
            return None
        leading = [i for i in alive if self.group.listening(i)]
        return leading[0] if len(leading) == 1 else None

    def _kill_one(self):
        choices = [kind for kind in ("cache", "worker")
                   if len(self._alive(kind)) > 1]
        leader = self._leader()
        if leader is not None:
            choices.append("scheduler")
        if not choices:
            return
        kind = self.rng.choice(choices)
        if kind == "scheduler":
            key = leader
            sig = self.rng.choice([signal.SIGKILL, signal.SIGTERM])
        else:
            key = self.rng.choice(sorted(self._alive(kind)))
            sig = signal.SIGKILL
        proc = self._members(kind)[key]
        proc.send_signal(sig)
        name = signal.Signals(sig).name
        self.kills[kind if sig == signal.SIGKILL and kind != "scheduler"
                   else f"{kind} {name}"] += 1
        self._note(f"{name} {kind} {key}")
        # Started again once it has exited (a scheduler drains for seconds
        # after SIGTERM) and its downtime has passed.
        self._dying[(kind, key)] = (proc, sig, time.time())
        downtime = self.rng.uniform(*self.downtime)
        self._down[(kind, key)] = time.time() + downtime

    def _reap(self):
        """Checks how the processes we signalled exited."""
        for (kind, key), (proc, sig, sent) in list(self._dying.items()):
            if proc.poll() is None:
                continue
            del self._dying[(kind, key)]
            name = signal.Signals(sig).name
            took = time.time() - sent
            if took > 1:
                self._note(f"{kind} {key} exited {took:.1f} s after {name}")
            if proc.returncode not in ANSWERS[sig]:
                self.crashes.append(f"{kind} {key} exited with "
                                    f"{proc.returncode} after {name}")

    def _start(self, kind, key):
        if kind == "cache":
            if self.rng.random() < 0.5:
                self.nodes.restart_empty(key)
                self._note(f"cache {key} back, empty")
                return
            self.nodes.start(key)
        elif kind == "scheduler":
            self.group.start(key)
        else:
            self.cluster.start_worker(key, slots=self.worker_slots[key])
        self._note(f"{kind} {key} back")
