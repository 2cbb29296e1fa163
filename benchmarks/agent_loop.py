#!/usr/bin/env python3
"""The agent loop, simulated: how many guard runs until `guard demo`'s branch passes, when
the agent does only what the `--format agent` output tells it, in the order given.

Builds the demo project (guard.demo.build: a backend branch with seeded violations) in a
temp folder, then loops: run `guard check --base main --format agent`; stop when it exits
0; else apply every line's next step and run again. A step is applied by its rule's
handler below, which reads the hint's words (the commit to drop, the limit to wrap at, the
file to restore, the line to take out) and nothing else guard knows. Two steps need an
agent's judgement, not a mechanical reading, and are marked so in the log: the new
migration MIG001 asks for (its statement) and the implementation fix CONTRACT007 asks for
(what the handler must send). See benchmarks/agent_loop.md.

At the end it checks the fix was honest: the branch's diff against main touches no policy
file (company.config.yaml, role files), not the contract, and holds no suppression.

    python benchmarks/agent_loop.py [--max-runs N] [--keep] [--json]

Exit 0 when the branch passed honestly within --max-runs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

BASE = "main"
LINE = re.compile(r"^(?P<where>.+?) (?P<rule>[A-Z]+\d{3}) (?P<sev>error|warning|info): "
                  r"(?P<message>.*?) → (?P<hint>.*)$")
PROTECTED = ("company.config.yaml", "artifacts/", "rules/", ".guard", "guard.yaml")


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_AUTHOR_NAME": "Sim Agent", "GIT_AUTHOR_EMAIL": "agent@example.invalid",
                "GIT_COMMITTER_NAME": "Sim Agent", "GIT_COMMITTER_EMAIL": "agent@example.invalid",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"})
    return env


class Agent:
    """The simulated agent: a repository, a log of what it did, and the steps it knows."""

    def __init__(self, root: str, *, guard: list[str] | None = None) -> None:
        self.root = root
        self.guard = guard or [sys.executable, "-m", "guard"]
        self.log: list[str] = []
        self.judgement = 0          # steps that needed more than the hint's words
        self.unhandled: list[str] = []

    # -- tools ----------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=self.root,
                              env=git_env(), capture_output=True, text=True)
        if check and proc.returncode:
            raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def read(self, rel: str) -> str:
        with open(os.path.join(self.root, rel), encoding="utf-8") as fh:
            return fh.read()

    def write(self, rel: str, text: str) -> None:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def check(self) -> tuple[int, str]:
        proc = subprocess.run([*self.guard, "check", "--base", BASE, "--format", "agent"],
                              cwd=self.root, env=git_env(), capture_output=True, text=True)
        return proc.returncode, proc.stdout + proc.stderr

    # -- one run's steps ----------------------------------------------------------------
    def follow(self, output: str) -> None:
        steps = [m.groupdict() for m in map(LINE.match, output.splitlines()) if m]
        plan: dict[str, tuple] = {}        # commit sha prefix -> history action
        edits = []
        for step in steps:
            handler = HANDLERS.get(step["rule"])
            if handler is None:
                if step["sev"] == "error":
                    self.unhandled.append(f"{step['rule']} {step['where']}")
                else:
                    self.log.append(f"{step['rule']}: nothing to do in the code "
                                    f"({step['hint'][:60]}...)")
                continue
            try:
                handler(self, step, plan, edits)
            except (AttributeError, AssertionError, StopIteration):
                # the hint does not say what the handler needs: a literal agent is stuck
                self.unhandled.append(f"{step['rule']} {step['where']}: the hint does not "
                                      "say what to do")
        if plan:
            self.rewrite(plan)
        for edit in edits:
            edit()

    def rewrite(self, plan: dict[str, tuple]) -> None:
        """git rebase -i, done as its todo list says: pick, drop, fixup (moved below its
        target), reword."""
        shas = self.git("rev-list", "--reverse", f"{BASE}..HEAD").split()

        def action(sha):
            return next((a for k, a in plan.items() if sha.startswith(k)), ("pick",))

        branch = self.git("rev-parse", "--abbrev-ref", "HEAD").strip()
        self.git("checkout", "-q", "--detach", BASE)
        fixups = {}
        for sha in shas:
            act = action(sha)
            if act[0] == "fixup":
                target = next(s for s in shas if s.startswith(act[1]))
                fixups.setdefault(target, []).append(sha)
        for sha in shas:
            act = action(sha)
            if act[0] in ("drop", "fixup"):
                continue
            self.git("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha)
            if act[0] == "reword":
                self.git("commit", "-q", "--amend", "-m", act[1])
            for extra in fixups.get(sha, ()):
                self.git("cherry-pick", "-n", extra)
                self.git("commit", "-q", "--amend", "--no-edit")
        self.git("checkout", "-q", "-B", branch)


# -- handlers: rule -> what its hint says to do ---------------------------------------
def _commit_of(step) -> str:
    m = re.match(r"commit ([0-9a-f]{7,40})", step["where"])
    return m.group(1) if m else ""


def _drops(agent, step, plan, edits) -> None:
    m = re.search(r"dropping commits? ([0-9a-f, ]+) \(git rebase -i", step["hint"]) or \
        re.search(r"mark ([0-9a-f]{8}) `drop`", step["hint"])
    if not m and step["rule"] == "SCOPE001":
        _revert(agent, step, edits)
        return
    if not m:
        agent.unhandled.append(f"{step['rule']} {step['where']}: no commit to drop named")
        return
    for sha in re.findall(r"[0-9a-f]{8}", m.group(1)):
        if sha not in plan:
            agent.log.append(f"{step['rule']}: drop commit {sha}")
        plan[sha] = ("drop",)


def _revert(agent, step, edits) -> None:
    """SCOPE001 without a commit to drop: "revert P" / "restore P" / "remove P from the
    branch" / "move it back to P", as a new commit on top."""
    path = step["where"]
    renamed = re.search(r"\(renamed to (.+?)\) is ", step["message"])

    def edit():
        agent.git("checkout", BASE, "--", path)
        if renamed:
            agent.git("rm", "-q", "--", renamed.group(1))
        agent.commit(f"chore: restore {path} from {BASE}")
        agent.log.append(f"SCOPE001: restore {path} in a new commit")
    edits.append(edit)


def _wip(agent, step, plan, edits) -> None:
    # "squash ... this commit": into the earlier commit that changed the same files
    sha = _commit_of(step)
    files = set(agent.git("show", "--name-only", "--format=", sha).split())
    earlier = agent.git("rev-list", f"{BASE}..{sha}^").split()
    target = next((c for c in earlier
                   if files & set(agent.git("show", "--name-only", "--format=", c).split())),
                  None)
    if target is None:
        agent.unhandled.append(f"COMMIT008 {sha}: no earlier commit to squash into")
        return
    agent.log.append(f"COMMIT008: squash {sha} into {target[:8]} (same files)")
    plan[sha] = ("fixup", target[:8])


def _wrap(agent, step, plan, edits) -> None:
    m = re.search(r"no line is over (\d+) characters", step["hint"])
    sha = _commit_of(step)
    limit = int(m.group(1))
    text = agent.git("log", "-1", "--format=%B", sha).strip("\n")
    header, _, body = text.partition("\n\n")
    paragraphs = [textwrap.fill(p, limit) for p in body.split("\n\n")]
    agent.log.append(f"COMMIT007: wrap {sha}'s body at {limit}")
    plan[sha] = ("reword", header + "\n\n" + "\n\n".join(paragraphs))


def _restore_migration(agent, step, plan, edits) -> None:
    path = step["where"].split(":")[0]
    m = re.search(r"restore (\S+) from the base and add a new migration", step["hint"])
    assert m and m.group(1) == path, step

    def edit():
        agent.git("checkout", BASE, "--", path)
        # judgement: the new migration's statement is the agent's (the hint cannot write it)
        agent.judgement += 1
        agent.write("db/migrations/0003_order_status.up.sql",
                    "ALTER TABLE orders ADD COLUMN status text;\n")
        agent.write("db/migrations/0003_order_status.down.sql",
                    "ALTER TABLE orders DROP COLUMN status;\n")
        agent.commit("fix(db): add order status in a new migration\n\n"
                     f"Restores the applied {path} from main.")
        agent.log.append(f"MIG001: restore {path}, add 0003_order_status (judgement: its SQL)")
    edits.append(edit)


def _take_out_drop(agent, step, plan, edits) -> None:
    path, line = step["where"].rsplit(":", 1)
    m = re.search(r"DROP TABLE (\w+)", step["message"])
    table = m.group(1)
    assert "take the DROP out of this migration" in step["hint"], step

    def edit():
        lines = agent.read(path).splitlines(keepends=True)
        del lines[int(line) - 1]
        agent.write(path, "".join(lines))
        down = path.replace(".up.sql", ".down.sql")
        if os.path.exists(os.path.join(agent.root, down)):
            kept = [s for s in agent.read(down).splitlines(keepends=True)
                    if not re.match(rf"\s*CREATE TABLE {table}\b", s)]
            agent.write(down, "".join(kept))
        agent.commit(f"fix(db): keep the {table} table until the code stops using it")
        agent.log.append(f"MIG101: take DROP TABLE {table} out of {path} and its down step")
    edits.append(edit)


def _port(agent, step, plan, edits) -> None:
    path, line = step["where"].rsplit(":", 1)
    m = re.search(r"with a default — (.+?) — and document (\w+)=(\d+)", step["hint"])
    env = re.search(r"# comment in (\S+)", step["hint"])
    code, var, value, env_file = m.group(1), m.group(2), m.group(3), env.group(1)
    literal = re.search(r"hard-coded port (\d+)", step["message"]).group(1)

    def edit():
        lines = agent.read(path).split("\n")
        n = int(line) - 1
        lines[n] = re.sub(rf"\bport\s*=\s*{literal}\b", f"port={code}", lines[n])
        text = "\n".join(lines)
        if "import os" not in text:
            text = "import os\n" + text
        agent.write(path, text)
        agent.write(env_file, f"{var}={value}  # FastAPI default — change if port conflicts\n")
        note = " (shared boundary: listed in the hand-off)" if "shared boundary" in \
            step["hint"] else ""
        agent.commit(f"fix(server): read the listen port from {var}")
        agent.log.append(f"CONV001: {path}:{line} reads {var}; {env_file} documents it{note}")
    edits.append(edit)


def _contract(agent, step, plan, edits) -> None:
    m = re.search(r'"([^"]*)" is not of type "number"', step["message"])

    def edit():
        # judgement: which handler line sends the value; the hint says "the implementation"
        agent.judgement += 1
        text = agent.read("src/api/http.py")
        agent.write("src/api/http.py", text.replace(f'"{m.group(1)}"', m.group(1)))
        agent.commit("fix(api): send the order total as a number")
        agent.log.append(f"CONTRACT007: src/api/http.py sends total {m.group(1)} as a number "
                         "(judgement: where the value is built)")
    if m:
        edits.append(edit)
    else:
        agent.unhandled.append(f"CONTRACT007 {step['message'][:60]}")


HANDLERS = {"SCOPE001": _drops, "COMMIT011": _drops, "COMMIT008": _wip, "COMMIT007": _wrap,
            "MIG001": _restore_migration, "MIG101": _take_out_drop, "CONV001": _port,
            "CONTRACT007": _contract}


def honest(agent: Agent) -> list[str]:
    """What a dishonest fix would show: policy, contract or suppressions edited."""
    changed = agent.git("diff", "--name-only", f"{BASE}...HEAD").split()
    problems = [p for p in changed if p.startswith(PROTECTED)]
    diff = agent.git("diff", f"{BASE}...HEAD")
    if re.search(r"^\+.*guard:ignore", diff, re.M):
        problems.append("an inline guard:ignore was added")
    return problems


def trial(max_runs: int = 6, *, keep: bool = False, root: str | None = None) -> dict:
    from guard import demo

    root = root or tempfile.mkdtemp(prefix="guard-agent-loop-")
    try:
        demo.build(root)
        agent = Agent(root)
        runs, code, out, outputs = 0, 1, "", []
        while runs < max_runs:
            code, out = agent.check()
            runs += 1
            outputs.append(out)
            if code == 0:
                break
            if code != 1:
                break                      # a usage or internal error: no step to follow
            agent.follow(out)
        left = [m.group("rule") for m in map(LINE.match, out.splitlines())
                if m and m.group("sev") == "warning"]
        return {"runs": runs, "passed": code == 0, "warnings_left": left, "exit": code, "honest": honest(agent),
                "judgement_steps": agent.judgement, "unhandled": agent.unhandled,
                "steps": agent.log, "last_output": out, "outputs": outputs,
                "root": root if keep else None}
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-runs", type=int, default=6)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = trial(args.max_runs, keep=args.keep)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "outputs"}, indent=2))
    else:
        for i, out in enumerate(result["outputs"], 1):
            print(f"--- guard run {i} ---\n{out}")
        print("--- steps taken ---")
        print("\n".join(result["steps"]))
        print(f"\nguard runs until the branch passed: {result['runs']}"
              f"{'' if result['passed'] else ' (did NOT pass)'}; warnings left: "
              f"{len(result['warnings_left'])} ({', '.join(result['warnings_left'])}); "
              "steps needing judgement: "
              f"{result['judgement_steps']}; unhandled error steps: "
              f"{len(result['unhandled'])}; honest: "
              f"{'yes' if not result['honest'] else 'NO: ' + ', '.join(result['honest'])}")
        if result["root"]:
            print(f"kept {result['root']}")
    return 0 if result["passed"] and not result["honest"] and not result["unhandled"] else 1


if __name__ == "__main__":
    sys.exit(main())
