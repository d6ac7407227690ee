#!/usr/bin/python3
"""The old client design, kept as a baseline: a new HTTP client per call, fixed-interval polling of
GET /{id}/status for lower-case `status` values (the simulator's `--dialect seed`), and a new
kickoff on any error. Runs on Debian's python3 with python3-httpx; no other dependency.

    CREWAI_TOKEN=T bench/naive_baseline.py --url http://127.0.0.1:PORT --items 500 --concurrency 50

Each item sends meta.requestId "naive-<index>" (the same on every re-kickoff) so that the
simulator's /_sim/stats can count the duplicate kickoffs this design makes. Re-kickoffs are capped
(--max-kickoffs) only to keep the benchmark bounded. Prints one summary line (RESULT ...).
"""
import argparse
import concurrent.futures
import os
import resource
import sys
import time

import httpx


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--items", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--interval", type=float, default=0.5, help="poll interval, seconds")
    p.add_argument("--max-kickoffs", type=int, default=10)
    p.add_argument("--timeout", type=float, default=30.0)
    return p.parse_args()


class NaiveClient:
    def __init__(self, url, token, interval, timeout):
        self.url = url.rstrip("/")
        self.headers = {"Authorization": "Bearer " + token}
        self.interval = interval
        self.timeout = timeout

    def kickoff(self, inputs, request_id):
        r = httpx.post(self.url + "/kickoff", json={"inputs": inputs, "meta": {"requestId": request_id}},
                       headers=self.headers, timeout=self.timeout)
        r.raise_for_status()
        return r.json()["kickoff_id"]

    def status(self, kickoff_id):
        r = httpx.get(self.url + "/" + kickoff_id + "/status", headers=self.headers,
                      timeout=self.timeout)
        r.raise_for_status()
        return r.json()

    def run(self, inputs, request_id, max_kickoffs):
        """Kickoff, then poll; any error starts again with a new kickoff."""
        kickoffs = 0
        while kickoffs < max_kickoffs:
            kickoffs += 1
            try:
                kickoff_id = self.kickoff(inputs, request_id)
                while True:
                    time.sleep(self.interval)
                    body = self.status(kickoff_id)
                    state = body.get("status")
                    if state == "completed":
                        return "succeeded", kickoffs
                    if state == "error":
                        raise RuntimeError(body.get("error_message") or "run failed")
            except Exception:  # the old design: any error means "kick it off again"
                time.sleep(self.interval)
        return "error", kickoffs


def main():
    args = parse_args()
    token = os.environ.get("CREWAI_TOKEN")
    if not token:
        print("CREWAI_TOKEN is not set", file=sys.stderr)
        return 2
    client = NaiveClient(args.url, token, args.interval, args.timeout)
    t0 = time.monotonic()
    outcomes = {}
    kickoffs = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        futures = [pool.submit(client.run, {"topic": "bench-%d" % i, "current_year": "2025"},
                               "naive-%d" % i, args.max_kickoffs) for i in range(args.items)]
        for f in futures:
            outcome, n = f.result()
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            kickoffs += n
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("RESULT label=naive items=%d succeeded=%d not_succeeded=%d client_kickoffs=%d wall_s=%.2f "
          "cpu_s=%.2f peak_rss_mib=%.1f" % (
              args.items, outcomes.get("succeeded", 0), args.items - outcomes.get("succeeded", 0),
              kickoffs, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
