"""Reading what the builds print: farm's `--progress json` (events with
nanosecond timestamps, and the result) and BuildKit's `--progress plain`
(steps, their times to 0.1 s, CACHED marks, bytes of context sent)."""

import json
import re


def farm_json(text):
    """(events, result) from `farm build --progress json` output."""
    events, result = [], None
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if item.get("type") == "event":
            events.append(item)
        elif item.get("type") == "result":
            result = item
    return events, result


def farm_step_ms(events, text):
    """Duration of the client step called `text`, or None if absent."""
    step = None
    for e in events:
        if e["kind"] == "STEP_STARTED" and e.get("text") == text:
            step = e["step"]
        elif (e["kind"] == "STEP_DONE" and step is not None
              and e["step"] == step):
            return e.get("duration_nanos", 0) / 1e6
    return None


def farm_steps(events):
    """Every step farm reported, in the order started: (text, ms or None
    when not done, cached)."""
    order, done, cached = {}, {}, set()
    for e in events:
        if e["kind"] == "STEP_STARTED":
            order.setdefault(e["step"], e.get("text", ""))
        elif e["kind"] == "STEP_DONE":
            done[e["step"]] = e.get("duration_nanos", 0) / 1e6
        elif e["kind"] == "STEP_CACHED":
            order.setdefault(e["step"], e.get("text", ""))
            cached.add(e["step"])
    return [(text, done.get(step), step in cached)
            for step, text in sorted(order.items())]


def farm_step_tails(events):
    """Per step text: ms from the step's last output line to its end (for a
    RUN, the command's exit, the container's removal and the layer's
    commit); only steps that printed something."""
    text, last, tails = {}, {}, {}
    for e in events:
        at = e.get("timestamp_unix_nanos")
        if e["kind"] == "STEP_STARTED":
            text[e["step"]] = e.get("text", "")
        elif e["kind"] == "STEP_LOG" and at is not None:
            last[e["step"]] = at
        elif e["kind"] == "STEP_DONE" and e["step"] in last:
            tails[text.get(e["step"], "")] = (at - last[e["step"]]) / 1e6
    return tails


def farm_step_cached(events, text):
    """True when farm reported the step called `text` as cached."""
    return any(e["kind"] == "STEP_CACHED" and e.get("text") == text
               for e in events)


def farm_started_after(events, text, after_nanos):
    """The stamps (Unix nanoseconds, the worker's for a Dockerfile step) of
    each STEP_STARTED of the step called `text` later than `after_nanos`."""
    return [e["timestamp_unix_nanos"] for e in events
            if e["kind"] == "STEP_STARTED" and e.get("text") == text
            and e.get("timestamp_unix_nanos", 0) > after_nanos]


def farm_step_workers(events, kind, text):
    """The worker of each event of `kind` (e.g. "STEP_DONE") of the
    instruction whose STEP_STARTED is called `text`, in order; None for an
    event no worker sent. Matched by stage and instruction index: the
    STEP_DONE of a job a new leader adopted can come without the text, and
    with another step number."""
    def instruction(e):
        return e.get("stage_index"), e.get("instruction_index")
    wanted = {instruction(e) for e in events
              if e["kind"] == "STEP_STARTED" and e.get("text") == text}
    return [e.get("worker") for e in events
            if e["kind"] == kind and instruction(e) in wanted]


def farm_context_ms(events):
    """From the start of the context walk until the farm has what the build
    reads: the end of the upload, or, when nothing was asked for, the first
    step the farm reports."""
    start = end = None
    transfer = None
    for e in events:
        text, at = e.get("text"), e.get("timestamp_unix_nanos")
        if at is None:
            continue
        if e["kind"] == "STEP_STARTED" and text == "load build context":
            start = at
        elif e["kind"] == "STEP_STARTED" and text == "transferring context":
            transfer = e["step"]
        elif (e["kind"] == "STEP_DONE" and transfer is not None
              and e["step"] == transfer):
            end = at
        elif end is None and transfer is None and e["step"] > 0:
            end = at
    if start is None or end is None:
        return None
    return (end - start) / 1e6


_HEADER = re.compile(r"^#(\d+) \[([^\]]*)\] ?(.*)$")
_OUTPUT = re.compile(r"^#(\d+) (\d+\.\d+) ")  # "#4 9.960 Setting up …"
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_TRANSFER = re.compile(
    r"^#(\d+) transferring context: (\d+(?:\.\d+)?)([kMG]?B)")
_VERTEX = re.compile(r"^#(\d+) ([A-Za-z][^:]*)$")  # "#9 exporting to image"
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


class BuildKitSteps:
    """Steps of BuildKit's plain progress: name → seconds, cached, bytes.
    `names` holds the Dockerfile and [internal] steps; `others` the rest
    (such as "exporting to image"), which BuildKit names without brackets."""

    def __init__(self, text):
        self.names = {}
        self.others = {}
        self.last_output = {}  # number → seconds from its start
        self.seconds = {}
        self.cached = set()
        self.context_bytes = None
        for line in text.splitlines():
            line = line.rstrip()
            m = _HEADER.match(line)
            if m:
                name = f"[{m.group(2)}] {m.group(3)}".strip()
                self.names.setdefault(int(m.group(1)), name)
                continue
            m = _DONE.match(line)
            if m:
                self.seconds[int(m.group(1))] = float(m.group(2))
                continue
            m = _CACHED.match(line)
            if m:
                self.cached.add(int(m.group(1)))
                continue
            m = _OUTPUT.match(line)
            if m:
                self.last_output[int(m.group(1))] = float(m.group(2))
                continue
            m = _TRANSFER.match(line)
            if m:
                # The last report of the transfer is its total.
                self.context_bytes = int(
                    float(m.group(2)) * _UNITS[m.group(3)])
                continue
            m = _VERTEX.match(line)
            if m and int(m.group(1)) not in self.names:
                # A vertex's first line is its name; later ones are output.
                self.others.setdefault(int(m.group(1)), m.group(2))

    def step_ms(self, name):
        for number, step in self.names.items():
            if step == name and number in self.seconds:
                return self.seconds[number] * 1000.0
        return None

    def timeline(self):
        """Every step in BuildKit's order: (name, ms or None, cached)."""
        names = {**self.others, **self.names}
        return [(names[n], None if n not in self.seconds
                 else self.seconds[n] * 1000.0, n in self.cached)
                for n in sorted(names)]

    def tails(self):
        """Per step name: ms from its last output line to DONE, to 0.1 s."""
        return {self.names[n]: max(0.0, self.seconds[n] - t) * 1000.0
                for n, t in self.last_output.items()
                if n in self.names and n in self.seconds}

    def _instruction(self, text):
        """The number of the step that ran Dockerfile instruction `text`;
        BuildKit names it like `[2/3] COPY src /src`."""
        for number, name in self.names.items():
            if (not name.startswith("[internal]")
                    and name.split("] ", 1)[-1] == text):
                return number
        return None

    def instruction_ms(self, text):
        """Time of the instruction `text`, or None if cached or absent."""
        number = self._instruction(text)
        if number is None or number in self.cached:
            return None
        seconds = self.seconds.get(number)
        return None if seconds is None else seconds * 1000.0

    def instruction_cached(self, text):
        return self._instruction(text) in self.cached

    def all_cached(self):
        """True when every instruction step after FROM was CACHED (a FROM of
        a local image is only resolved, and shows as DONE)."""
        steps = [n for n, name in self.names.items()
                 if not name.startswith("[internal]")
                 and not name.split("] ", 1)[-1].startswith("FROM ")]
        return bool(steps) and all(n in self.cached for n in steps)
