"""One soak run (scripts/soak): sets up the private lab, draws the plan from the seed, runs the
chaos (main thread: restarts and state changes in plan order), the rogue bursts, the scrapes and
the VmRSS samples (background threads), then the quiet period and the final checks.

Rogue writes to a topic are held off (`freeze`) while a change that restarts its accounting is
under way (an agent restart, the move to COMPLETE), so that every write belongs to exactly one
state and the final equality is the contract's, not a race of the test.
"""
import collections
import json
import os
import queue
import random
import sys
import threading
import time
import traceback

import migration_state
import soak_lab
from soak_checks import EventLog, RogueLedger, ScrapeCheck, utc
from soak_chaos import CONFIRM_POLLS, GUARD, POLL_INTERVAL, PUBLISH_DELAY, Chaos
from soak_report import final_row, report
from soak_lab import Agent, Broker, Exporterd, Process, http, wait_until


class Soak(Chaos):
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10 ** 6)
        self.plan_rng = random.Random(self.seed)
        self.rogue_rng = random.Random(self.seed * 7919 + 1)
        self.workdir = args.workdir or "/tmp/soak-%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), self.seed)
        os.makedirs(self.workdir, exist_ok=True)
        self.logs = os.path.join(self.workdir, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.timeline_file = open(os.path.join(self.workdir, "timeline.txt"), "a")
        self.started = time.time()
        self.stop = threading.Event()
        self.cond = threading.Condition()
        self.frozen = set()
        self.rogue_busy = None
        self.forced = queue.Queue()
        self.states = {}
        self.since = {}
        self.ledger = RogueLedger()
        self.events = EventLog()
        self.exporterd_up = False
        self.exporterd_generation = 0
        self.judging = threading.Lock()
        self.startup_checked = 0  # /metrics pages served by a restarting exporterd before /readyz
        self.scrape_failures = []
        self.restarts = []
        self.rss = []
        self.problems = []
        self.agent_acked = collections.Counter()  # topic -> acked over finished agent lifetimes
        self.brokers, self.agents, self.exporterd, self.replicator, self.threads = [], {}, None, None, []
        self.rogue_stop = threading.Event()

    # --- bookkeeping ---------------------------------------------------------------------------
    def note(self, text):
        now = time.time()
        line = "[%7.1fs %s] %s" % (now - self.started, utc(now), text)
        print(line, flush=True)
        self.timeline_file.write(line + "\n")
        self.timeline_file.flush()

    def interrupt(self):
        self.problems.append("interrupted (SIGTERM)")
        self.stop.set()
        raise KeyboardInterrupt

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    # --- the lab -------------------------------------------------------------------------------
    def setup(self):
        rng = self.plan_rng
        n = self.args.topics
        self.topics = ["soak-%02d" % i for i in range(n)]
        self.partitions = {t: rng.randint(1, 4) for t in self.topics}
        shuffled = rng.sample(self.topics, n)
        self.reject_topics = set(shuffled[:2])
        self.cutover_topic, self.abort_topic = shuffled[2], shuffled[3]
        self.enabled = [t for t in self.topics if t not in self.reject_topics]
        self.agent_of = {t: rng.choice("AB") for t in self.topics}
        self.agent_of[self.cutover_topic], self.agent_of[self.abort_topic] = "A", "B"  # each agent drives one
        self.rate = {t: round(rng.uniform(0.3, 2.5), 2) for t in self.topics}
        self.note("seed %d, %d topics, workdir %s; agents publish within %.1fs, exporterd publish_delay %ds" % (
            self.seed, n, self.workdir, self.args.agent_publish_delay_max, PUBLISH_DELAY))
        self.note("REJECT throughout: %s; cut over: %s; aborted: %s" % (
            ", ".join(sorted(self.reject_topics)), self.cutover_topic, self.abort_topic))

        self.brokers = [Broker("source", self.logs)]
        self.brokers.append(Broker("destination", self.logs))
        self.lab = {"source": self.brokers[0].address, "destination": self.brokers[1].address}
        for cluster in (self.lab["source"], self.lab["destination"]):
            soak_lab.create_topics(cluster, self.partitions)
        self.note("brokers source %(source)s destination %(destination)s, topics created" % self.lab)

        self.state_file = os.path.join(self.workdir, "state.json")
        self.write_states()  # every topic REJECT (unlisted)
        self.agents = {}
        for name in "AB":
            rates = {t: self.rate[t] for t in self.topics if self.agent_of[t] == name}
            self.agents[name] = Agent(name, self.lab, rates, self.args.agent_publish_delay_max, self.state_file, self.logs)
            self.agents[name].start(paused=True)
        self.replicator = Process("replicator", [
            sys.executable, os.path.join(soak_lab.SCRIPTS, "replicator.py"), "--source", self.lab["source"],
            "--destination", self.lab["destination"], "--listen", "127.0.0.1:%d" % soak_lab.free_port()]
            + sum((["--topic", t] for t in self.topics), []), self.logs)

        self.port = soak_lab.free_port()
        config = os.path.join(self.workdir, "exporterd.yaml")
        soak_lab.write_config(config, self.port, self.lab, self.agents.values(), self.topics,
                              POLL_INTERVAL, PUBLISH_DELAY, CONFIRM_POLLS)
        self.exporterd = Exporterd(self.args.exporterd, config, self.workdir, self.logs)
        self.exporterd.start(self.port)
        self.exporterd_up = True
        self.exporterd_generation += 1
        self.note("exporterd pid %d ready on :%d (%s)" % (self.exporterd.process.pid, self.port, self.args.exporterd))

    def write_states(self):
        listed = [{"topic": t, "state": s, "since": self.since[t]} for t, s in sorted(self.states.items())]
        migration_state.write(self.state_file, {"topics": listed}, "json")

    def set_state(self, topics, state):
        """Changes the state file; rogue writes to `topics` must be frozen by the caller."""
        with self.cond:
            for topic in topics:
                self.states[topic] = state
                self.since[topic] = migration_state.now_iso()
            self.write_states()
        self.note("state %s → %s" % (", ".join(topics) if len(topics) < 4 else "%d topics" % len(topics), state))

    def freeze(self, topics):
        with self.cond:
            self.frozen |= set(topics)
            while self.rogue_busy in self.frozen:
                self.cond.wait(0.5)

    def thaw(self, topics):
        with self.cond:
            self.frozen -= set(topics)
            self.cond.notify_all()

    def wait(self, seconds):
        if self.stop.wait(seconds):
            raise KeyboardInterrupt

    def wait_events(self, predicate, timeout, what):
        wait_until(lambda: predicate(self.fetch_events()), timeout, 0.5, what)

    def fetch_events(self):
        """All events (paged), or [] when exporterd does not answer."""
        out, after = [], 0
        while True:
            try:
                status, body = http("GET", self.url("/api/v1/events?after=%d&limit=1000" % after), 10)
            except OSError:
                return out
            if status != 200:
                return out
            page = json.loads(body)["events"]
            out += page
            if len(page) < 1000:
                return out
            after = page[-1]["seq"]

    # --- background threads --------------------------------------------------------------------
    def start_thread(self, name, target):
        def guarded():
            try:
                target()
            except KeyboardInterrupt:
                pass
            except Exception:
                self.problems.append("thread %s crashed: %s" % (name, traceback.format_exc()))
                self.stop.set()
        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def rogue_loop(self):
        from confluent_kafka import Producer
        producer = Producer({"bootstrap.servers": self.lab["source"], "linger.ms": 0, "batch.num.messages": 1,
                             "enable.idempotence": False, "acks": "all"})
        rng = self.rogue_rng
        while not self.rogue_stop.is_set():
            topic, size, done = self.next_burst(rng)
            if topic is False:
                break
            forced = done is not None
            with self.cond:
                while topic is not None and topic in self.frozen and not self.rogue_stop.is_set():
                    self.cond.wait(0.5)
                if topic is None:
                    eligible = [t for t in self.topics if t not in self.frozen]
                    if not eligible:
                        continue
                    topic = rng.choice(eligible)
                state = self.states.get(topic, "REJECT")
                self.rogue_busy = topic
            acked, failed = [0], [0]

            def report(error, message, topic=topic, state=state):
                self.ledger.delivered(topic, state, error is None)
                (failed if error is not None else acked)[0] += 1
            at = time.time()
            for i in range(size):
                while True:
                    try:
                        producer.produce(topic, value=b"rogue-%d" % i, partition=i % self.partitions[topic],
                                         on_delivery=report)
                        break
                    except BufferError:
                        producer.poll(0.1)
                producer.poll(0)
            left = producer.flush(60)
            self.ledger.burst({"at": at, "topic": topic, "state": state, "size": size, "acked": acked[0],
                               "failed": failed[0] + left})
            self.note("rogue %s%d → %s (%s): %d acked%s" % ("forced " if forced else "", size, topic, state, acked[0],
                                                         ", %d FAILED" % (failed[0] + left) if failed[0] + left else ""))
            with self.cond:
                self.rogue_busy = None
                self.cond.notify_all()
            if done is not None:
                done.set()

    def next_burst(self, rng):
        """(topic, size, done): a forced burst as soon as one is queued, else a random one
        (topic None: picked when it starts) after an exponential pause of 10 s on average;
        topic False once the rogue writes are to stop."""
        due = time.monotonic() + rng.expovariate(1 / 10.0)
        while not self.rogue_stop.is_set():
            try:
                return self.forced.get(timeout=max(0.0, min(0.5, due - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= due:
                    return None, int(round(10 ** rng.uniform(0, 2.48))), None  # 1 … 300, log-uniform
        return False, 0, None

    def scrape_loop(self):
        rng = random.Random(self.seed + 3)
        count = 0
        while not self.stop.wait(rng.uniform(2, 4)):
            self.scrape_once()
            count += 1
            if count % 3 == 0:
                self.follow_events()

    def scrape_once(self):
        generation, up = self.exporterd_generation, self.exporterd_up
        if not up:
            return None
        wall = time.time()
        try:
            status, text = http("GET", self.url("/metrics"), 5)
            if status != 200:
                raise OSError("HTTP %d" % status)
        except OSError as error:
            if self.exporterd_up and generation == self.exporterd_generation:
                self.scrape_failures.append((wall, str(error)))
            return None
        return self.judge(text)

    def judge(self, text):
        """Checks one /metrics page against the ledger; notes what it finds; the samples."""
        with self.judging:  # the scraper thread and the startup probe
            truth = self.ledger.snapshot()  # after the page: writes acknowledged since only loosen the check
            before = len(self.check.false_positives), len(self.check.decreases)
            samples = self.check.observe(text, truth, time.time())
        for fp in self.check.false_positives[before[0]:]:
            self.note("FALSE POSITIVE: %s{topic=%s} = %d, acknowledged rogue writes of that kind %d" % (fp[2], fp[1], fp[3], fp[4]))
        fresh = self.check.decreases[before[1]:]
        for dec in fresh[:3]:
            self.note("COUNTER DECREASED: %s%s %s → %s" % (dec[1], dec[2], dec[3], dec[4]))
        if len(fresh) > 3:
            self.note("COUNTER DECREASED: … and %d more series on this page" % (len(fresh) - 3))
        return samples

    def follow_events(self):
        if not self.exporterd_up:
            return
        try:
            status, body = http("GET", self.url("/api/v1/events?after=%d&limit=1000" % self.events.last_seq), 10)
        except OSError:
            return
        if status == 200:
            before = len(self.events.problems)
            self.events.take(json.loads(body)["events"], time.time())
            for problem in self.events.problems[before:]:
                self.note("EVENTS: %s" % problem)

    def rss_loop(self):
        while True:
            self.sample_rss()
            if self.stop.wait(self.args.rss_every):
                return

    def sample_rss(self):
        kib = self.exporterd.rss_kib() if self.exporterd else None
        if kib is not None:
            self.rss.append((time.time() - self.started, self.exporterd.process.pid, kib))

    # --- the run -------------------------------------------------------------------------------
    def run(self):
        self.setup()
        self.check = ScrapeCheck(self.topics)
        plan = self.make_plan()
        with open(os.path.join(self.workdir, "plan.json"), "w") as f:
            json.dump({"seed": self.seed, "plan": plan}, f, indent=1)
        self.note("plan: %s" % "; ".join("%.0fs %s%s" % (o, a, " %s" % (arg,) if arg else "") for o, a, arg in plan))

        self.start_thread("rss", self.rss_loop)
        self.start_thread("scrape", self.scrape_loop)
        self.set_state(self.enabled, "PROXY")
        self.wait_events(lambda ev: sum(e["type"] == "ENABLED" for e in ev) >= len(self.enabled), 60, "ENABLED events")
        self.wait(GUARD)  # baselines on quiet polls: the agents are still paused
        for agent in self.agents.values():
            agent.post("/resume")
        self.note("agents producing; chaos for %.0fs" % self.chaos_seconds)
        self.start_thread("rogue", self.rogue_loop)
        try:
            self.run_plan(plan)
        except KeyboardInterrupt:
            self.rogue_stop.set()
            raise
        return self.finish()

    def finish(self):
        self.rogue_stop.set()
        for thread in self.threads:
            if thread.name == "rogue":
                thread.join(120)
        self.note("rogue writes stopped; pausing the agents for the quiet period")
        for name, agent in self.agents.items():
            agent.post("/pause")
            for topic, acked in agent.settle()["acked"].items():
                self.agent_acked[topic] += acked
        self.wait(GUARD + 2 * PUBLISH_DELAY)
        truth = self.ledger.snapshot()
        deadline = time.time() + 90
        samples = None
        while time.time() < deadline:
            samples = self.scrape_once() or samples
            if samples is not None and all(final_row(self, t, samples, truth)[-1] == "ok" for t in self.topics):
                break
            time.sleep(3)
        self.follow_events()
        final_events = self.fetch_events()
        self.sample_rss()
        self.stop.set()
        return report(self, samples or {}, truth, final_events)

    def teardown(self):
        self.stop.set()
        if getattr(self, "rogue_stop", None):
            self.rogue_stop.set()
        # exporterd first: it would only log the stand-ins going away.
        processes = [self.exporterd.process] if self.exporterd and self.exporterd.process else []
        processes += [a.process for a in self.agents.values() if a.process]
        processes += ([self.replicator] if self.replicator else []) + [b.process for b in self.brokers]
        for process in processes:
            process.stop()
        self.timeline_file.close()
