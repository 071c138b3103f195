"""What happens during a soak run (scripts/soak): the plan drawn from the seed, and the actions the
main thread carries out in its order — exporterd and agent restarts (SIGTERM, kill -9), the
cutover and the abort with a rogue burst while MIGRATING. A mixin of `soak_run.Soak`, whose
state (the lab, the freeze on rogue writes, the ledger) these actions drive."""
import signal
import threading
import time

from soak_lab import http
from soak_report import RESTART_KINDS

POLL_INTERVAL = 1
PUBLISH_DELAY = 3
CONFIRM_POLLS = 3
# Long enough after a write for exporterd to confirm it exactly on quiet polls: the answer's hi
# comes publish_delay later, and confirm_polls bounds in a row must hold.
GUARD = PUBLISH_DELAY + (CONFIRM_POLLS + 6) * POLL_INTERVAL


class Chaos:
    # --- the plan ------------------------------------------------------------------------------
    def make_plan(self):
        """[(not before, action, argument)]: restarts, the two migration episodes and a few
        forced bursts, at offsets into the chaos period. Actions run one after another; an
        action that comes due while another runs starts when that one ends."""
        rng = self.plan_rng
        chaos = self.args.minutes * 60 - 40  # the rest: setup (~15 s) and the quiet period (~25 s)
        kinds = rng.sample(RESTART_KINDS, 4) + [rng.choice(RESTART_KINDS) for _ in range(max(0, int(chaos // 90) - 4))]
        # An agent restart sometimes has exporterd restarted while the agent is down (with
        # SIGTERM or kill -9): the agent's counters then restart behind exporterd's back.
        restarts = [("exporterd", how) if who == "exporterd"
                    else ("agent-" + rng.choice("AB"), how) + ((rng.choice(["TERM", "KILL"]),) if rng.random() < 0.3 else ())
                    for who, how in kinds]
        plan = []
        for offset, action, topic in ((rng.uniform(0.03, 0.15) * chaos, "cutover", self.cutover_topic),
                                      (rng.uniform(0.4, 0.55) * chaos, "abort", self.abort_topic)):
            dwell = max(30, rng.uniform(0.05, 0.12) * chaos)
            during = restarts.pop() if rng.random() < 0.8 else None  # a restart while MIGRATING
            plan.append((offset, action, {"topic": topic, "dwell": round(dwell), "burst": rng.randint(1, 60),
                                          "restart": during}))
        for _ in range(2):
            plan.append((rng.uniform(0.3, 0.95) * chaos, "force", (self.cutover_topic, rng.randint(1, 60))))
        plan.append((rng.uniform(0.1, 0.9) * chaos, "force", (sorted(self.reject_topics)[0], rng.randint(1, 60))))
        for restart in restarts:
            plan.append((rng.uniform(0.05, 0.92) * chaos, "restart", restart))
        plan.sort(key=lambda a: a[0])
        self.chaos_seconds = chaos
        return [(round(o, 1), a, arg) for o, a, arg in plan]

    def run_plan(self, plan):
        t0 = time.time()
        for offset, action, arg in plan:
            delay = t0 + offset - time.time()
            if delay > 0:
                self.wait(delay)
            if action == "force":
                self.forced.put(arg + (threading.Event(),))
            elif action == "restart":
                self.restart(arg)
            else:
                self.episode(action, arg)
        remaining = t0 + self.chaos_seconds - time.time()
        if remaining > 0:
            self.wait(remaining)

    def restart(self, action):
        who, how = action[:2]
        if who == "exporterd":
            self.restart_exporterd(how)
        else:
            self.restart_agent(who[-1], how, action[2] if len(action) > 2 else None)

    def forced_burst(self, topic, size):
        done = threading.Event()
        self.forced.put((topic, size, done))
        while not done.wait(1):
            if self.stop.is_set():
                raise KeyboardInterrupt

    def episode(self, action, arg):
        """A cutover (PROXY → MIGRATING → COMPLETE) or an abort (PROXY → MIGRATING → PROXY), with
        a rogue burst while MIGRATING, perhaps a restart, and for the cutover a burst after."""
        topic = arg["topic"]
        self.move(topic, "MIGRATING")
        self.wait(arg["dwell"] / 2)
        self.forced_burst(topic, arg["burst"])
        if arg["restart"]:
            self.restart(arg["restart"])
        self.wait(arg["dwell"] / 2)
        if action == "abort":
            self.move(topic, "PROXY")
            self.wait_events(lambda ev: any(e["topic"] == topic and e["type"] == "ABORTED" for e in ev),
                             60, "ABORTED event for %s" % topic)
            return
        self.freeze([topic])
        self.note("%s: quiet %ds before COMPLETE (MIGRATING writes confirmed)" % (topic, GUARD))
        self.wait(GUARD)
        self.set_state([topic], "COMPLETE")
        self.wait_events(lambda ev: any(e["topic"] == topic and e["type"] == "COMPLETED" for e in ev),
                         60, "COMPLETED event for %s" % topic)
        self.wait(2 * POLL_INTERVAL)
        self.thaw([topic])
        self.forced_burst(topic, self.plan_rng.randint(1, 60))

    def move(self, topic, state):
        # PROXY ↔ MIGRATING keeps the unproxied baseline: only the writes' labels need the freeze.
        self.freeze([topic])
        self.set_state([topic], state)
        self.thaw([topic])

    def restart_exporterd(self, how):
        sig = signal.SIGTERM if how == "TERM" else signal.SIGKILL
        old_pid = self.exporterd.process.pid
        self.exporterd_up = False
        self.exporterd_generation += 1
        self.sample_rss()
        code, took = self.exporterd.process.stop(sig)
        if how == "TERM" and code != 0:
            self.problems.append("exporterd exited %s on SIGTERM" % code)
        down = self.plan_rng.uniform(0, 5)
        self.note("exporterd pid %d stopped with SIG%s (exit %s after %.1fs); down %.1fs" % (old_pid, how, code, took, down))
        self.wait(down)
        started = time.monotonic()
        self.startup_pages = 0
        self.exporterd.start(self.port, probe=self.probe_startup)
        self.exporterd_generation += 1
        self.exporterd_up = True
        self.startup_checked += self.startup_pages
        self.restarts.append((round(time.time() - self.started), "exporterd", how, code, round(time.monotonic() - started, 1)))
        self.note("exporterd pid %d ready again after %.1fs" % (self.exporterd.process.pid, time.monotonic() - started))

    def probe_startup(self):
        """A page served while exporterd starts, before /readyz: checked like any other."""
        try:
            status, text = http("GET", self.url("/metrics"), 2)
        except OSError:
            return
        if status == 200:
            self.startup_pages += 1
            self.judge(text)

    def restart_agent(self, name, how, exporterd_meanwhile=None):
        agent = self.agents[name]
        topics = sorted(agent.rates)
        self.freeze(topics)
        agent.post("/pause")
        final = agent.settle()
        # exporterd must read the final page and confirm the paused topics on quiet polls
        # before the counters go back to 0 (its baselines for them start over then).
        self.wait(GUARD)
        code, took = agent.process.stop(signal.SIGTERM if how == "TERM" else signal.SIGKILL)
        for topic, acked in final["acked"].items():
            self.agent_acked[topic] += acked
        self.note("agent %s (generation %d) stopped with SIG%s (exit %s), had acknowledged %d" % (
            name, agent.generation, how, code, sum(final["acked"].values())))
        self.wait(self.plan_rng.uniform(0, 3))
        if exporterd_meanwhile:
            self.restart_exporterd(exporterd_meanwhile)
        started = time.monotonic()
        agent.start(paused=True)
        # A paused agent is a quiet baseline: exporterd sees the counters restart, starts over
        # on the next complete poll, and only then does the agent produce again.
        self.wait(GUARD)
        agent.post("/resume")
        self.thaw(topics)
        self.restarts.append((round(time.time() - self.started), "agent-" + name, how, code, round(time.monotonic() - started, 1)))
        self.note("agent %s generation %d producing again" % (name, agent.generation))
