#!/usr/bin/python3
"""docs_test: every `crewctl` example of README.md and docs/cli.md, run against the simulator.

An example is a line of a fenced ```sh block that runs crewctl (continuation lines joined). Each
block runs in a fresh directory holding small input files (rows.jsonl, rows.csv, topics.jsonl,
inputs.json, examples/ -> the source tree's), with HOME there too (~/.crewai-token holds the token),
its examples one after the other with bash, as a reader would type them. The simulator is
`crewctl serve --port 0` started here (research crew); CREWAI_BASE_URL and CREWAI_TOKEN point at it,
so `export CREWAI_BASE_URL=...` in an example is not run. An example passes when it exits 0.

Markers: an HTML comment (invisible in the rendered docs) on a line before a fenced block applies
to that block; several may stand in a row:
  <!-- docs-test: skip REASON -->                 skip the whole block
  <!-- docs-test: skip "TEXT" REASON -->          skip the block's examples that contain TEXT
  <!-- docs-test: exit=N -->                      every example of the block must exit N
  <!-- docs-test: exit=N "TEXT" -->               the examples that contain TEXT must exit N
  <!-- docs-test: crew=NAME -->                   the block runs against its own simulator of
                                                  examples/crews/NAME.json (a flow, say)
Placeholders: a kickoff id written 3f1c2a... (or 3f1c...) is the id of a run that has finished;
$HITL_TOKEN, $EVENTS_TOKEN and $CALLBACK_URL are set to harmless values. An example that pipes into a
program this machine lacks (jq, say) is skipped, saying so.

With --examples DIR (the built examples/), the example programs' usage lines run too: quickstart
with the research crew's inputs, typed_output against examples/crews/qa.json.

Run by ctest (label `docs`): docs_test.py --crewctl BIN --source DIR [--examples DIR]. Prints one
line per example and closes with "N passed, N failed, N skipped"; exits 1 when any failed.
"""
import argparse
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DOCS = ["README.md", "docs/cli.md"]
EXAMPLE_TIMEOUT = 60  # seconds; a hang fails the example instead of the whole ctest run
MARKER = re.compile(r'<!--\s*docs-test:\s*(skip|exit=(\d+)|crew=([\w-]+))\s*(?:"([^"]*)")?\s*(.*?)\s*-->')
ID_PLACEHOLDER = re.compile(r"\b3f1c[0-9a-f]*\.\.\.")
TOKEN = "docs-test-token"

FIXTURES = {
    "rows.jsonl": '{"topic": "robots", "current_year": "2026"}\n'
                  '{"id": "w1", "inputs": {"topic": "cats", "current_year": "2026"}}\n',
    "rows.csv": "id,topic,current_year\nr1,robots,2026\nr2,cats,2026\n",
    "topics.jsonl": '{"topic": "AI agents", "current_year": "2026"}\n',
    "inputs.json": '{"topic": "AI agents", "current_year": "2026"}\n',
}


def blocks(path):
    """Yields (line number, [example lines], [markers]) for each fenced sh block of a file."""
    markers, in_block, lang, lines, start = [], False, "", [], 0
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("```"):
                if not in_block:
                    in_block, lang, lines, start = True, line[3:].strip(), [], number
                else:
                    if lang in ("sh", "bash", "shell", "console"):
                        yield start, logical_lines(lines), markers
                    in_block, markers = False, []
                continue
            if in_block:
                lines.append(line)
                continue
            m = MARKER.search(line)
            if m:
                markers.append({"exit": int(m.group(2)) if m.group(2) else None,
                                "skip": m.group(1) == "skip", "crew": m.group(3),
                                "text": m.group(4), "reason": m.group(5)})
            elif line.strip():
                markers = [] if not line.lstrip().startswith("<!--") else markers


def logical_lines(lines):
    out, current = [], ""
    for line in lines:
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append(current + line)
        current = ""
    if current:
        out.append(current)
    return [l for l in out if re.search(r"(^|[|;&]\s*)crewctl\b", l.strip())]


def strip_exports(command):
    """Drops `export VAR=...;` parts: the test's environment points at the simulator."""
    parts = [p for p in command.split(";") if not p.strip().startswith("export ")]
    return ";".join(parts).strip()


def missing_programs(command):
    missing = []
    command = re.sub(r"\s#.*$", "", command)  # a trailing comment is not a command
    for segment in re.split(r"[|;]|&&", command):
        try:
            words = shlex.split(segment, comments=True) if segment.strip() else []
        except ValueError:  # a quote that spans segments: bash will judge the whole line
            words = []
        if words and words[0] not in ("crewctl", "cat") and "=" not in words[0]:
            if shutil.which(words[0]) is None:
                missing.append(words[0])
    return missing


def start_simulator(crewctl, source, crew_name="research"):
    crew = os.path.join(source, "examples", "crews", crew_name + ".json")
    proc = subprocess.Popen([crewctl, "serve", "--crew", crew, "--port", "0", "--token", TOKEN,
                             "--time-scale", "0.001"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline, seen = time.monotonic() + 20, b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            m = re.search(rb"listening on (\S+):(\d+)", seen)
            if m:
                return proc, "http://%s:%s" % (m.group(1).decode(), m.group(2).decode())
    stop(proc)
    raise RuntimeError("the simulator did not start: %r" % seen[-500:])


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(command, cwd, env):
    proc = subprocess.Popen(["/bin/bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=EXAMPLE_TIMEOUT)
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out.decode(errors="replace"), err.decode(errors="replace")


def block_dir(root, source, name):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, ".config"))
    for file, text in FIXTURES.items():
        with open(os.path.join(d, file), "w", encoding="utf-8") as f:
            f.write(text)
    for token_file in (".crewai-token", ".crewai/token"):
        os.makedirs(os.path.dirname(os.path.join(d, token_file)), exist_ok=True)
        with open(os.path.join(d, token_file), "w", encoding="utf-8") as f:
            f.write(TOKEN + "\n")
    os.symlink(os.path.join(source, "examples"), os.path.join(d, "examples"))
    return d


def verdict(command, markers):
    """(expected exit, skip reason or None) for one example."""
    expected, reason = 0, None
    for m in markers:
        if m["text"] is not None and m["text"] not in command:
            continue
        if m["skip"]:
            reason = m["reason"] or "marked skip"
        elif m["exit"] is not None:
            expected = m["exit"]
    return expected, reason


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crewctl", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--examples", help="directory of the built example programs")
    args = ap.parse_args()
    crewctl = os.path.abspath(args.crewctl)
    passed = failed = skipped = 0
    root = tempfile.mkdtemp(prefix="crewctl-docs-test-")
    sim = qa_sim = None
    crew_sims = {}  # crew name -> (process, url), for blocks marked crew=NAME
    try:
        bin_dir = os.path.join(root, "bin")
        os.makedirs(bin_dir)
        os.symlink(crewctl, os.path.join(bin_dir, "crewctl"))
        sim, url = start_simulator(crewctl, args.source)
        env = {"PATH": bin_dir + ":/usr/bin:/bin", "CREWAI_BASE_URL": url, "CREWAI_TOKEN": TOKEN,
               "NO_COLOR": "1", "HITL_TOKEN": "hitl-secret", "EVENTS_TOKEN": "events-secret",
               "CALLBACK_URL": url + "/callback"}
        code, out, err = run("crewctl kickoff -i topic=x -i current_year=2026 --wait --json "
                             "--poll-interval 0.05", root, dict(env, HOME=root))
        m = re.search(r'"kickoff_id":"([^"]+)"', out)
        if code != 0 or not m:
            raise RuntimeError("could not make a finished run: %s %s" % (out, err))
        finished_id = m.group(1)
        for doc in DOCS:
            for start, examples, markers in blocks(os.path.join(args.source, doc)):
                cwd = block_dir(root, args.source, "%s-%d" % (doc.replace("/", "_"), start))
                block_env = dict(env, HOME=cwd, XDG_CONFIG_HOME=os.path.join(cwd, ".config"))
                crew = next((m["crew"] for m in markers if m["crew"]), None)
                if crew:
                    if crew not in crew_sims:
                        crew_sims[crew] = start_simulator(crewctl, args.source, crew)
                    block_env["CREWAI_BASE_URL"] = crew_sims[crew][1]
                for example in examples:
                    where = "%s:%d: %s" % (doc, start, example.strip())
                    expected, reason = verdict(example, markers)
                    command = ID_PLACEHOLDER.sub(finished_id, strip_exports(example))
                    lacking = missing_programs(command)
                    if reason is None and lacking:
                        reason = "needs %s, not installed here" % ", ".join(lacking)
                    if reason is not None:
                        skipped += 1
                        print("skip  %s  (%s)" % (where, reason))
                        continue
                    code, out, err = run(command, cwd, block_env)
                    if code == expected:
                        passed += 1
                        print("ok    %s" % where)
                    else:
                        failed += 1
                        print("FAIL  %s\n      exit %s, expected %s\n      stderr: %s" %
                              (where, "timeout" if code is None else code, expected,
                               err.strip().replace("\n", "\n              ")[-2000:]))
        if args.examples:
            qa_sim, qa_url = start_simulator(crewctl, args.source, "qa")
            programs = [
                ("quickstart topic=robots current_year=2026", url),
                ("typed_output 'why is the sky blue'", qa_url),
            ]
            for command, program_url in programs:
                where = "examples/%s.cpp usage: %s" % (command.split()[0], command)
                if not os.path.exists(os.path.join(args.examples, command.split()[0])):
                    skipped += 1
                    print("skip  %s  (not built)" % where)
                    continue
                code, out, err = run(os.path.join(os.path.abspath(args.examples), command), root,
                                     dict(env, HOME=root, CREWAI_BASE_URL=program_url))
                if code == 0:
                    passed += 1
                    print("ok    %s" % where)
                else:
                    failed += 1
                    print("FAIL  %s\n      exit %s\n      stderr: %s" % (where, code, err.strip()))
    finally:
        for proc in [sim, qa_sim] + [p for p, _ in crew_sims.values()]:
            if proc is not None:
                stop(proc)
        shutil.rmtree(root, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
