#!/usr/bin/env python3
"""Do argon2id creates hold the writer? (issue 20: hashing runs before the write transaction.)

bench/passwords.sh starts the server; this drives it. Two organizations on one SQLite server:
"plain" creates users without a password, "hashed" (password_storage = argon2id) creates users
with one. Phase 1: plain creates alone. Phase 2: the same plain creates while the hashed ones
run. If a hash (tens of milliseconds) were computed inside the write transaction, each would
hold SQLite's single writer that long and the plain creates' latency would grow by about that
much; hashed outside, they grow only by the CPU the hashes take.

  passwords.py BASE PLAIN_TOKEN HASHED_TOKEN SECONDS CONNECTIONS
Prints one line per phase: creates/s and p50/p90/p99 latency of the plain creates, and the
hashed creates' rate.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def worker(base, token, prefix, with_password, deadline, latencies, counter, lock):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    n = 0
    while time.monotonic() < deadline:
        body = {"schemas": [USER], "userName": f"{prefix}-{n}@bench.example"}
        if with_password:
            body["password"] = f"pw-{prefix}-{n}"
        n += 1
        started = time.monotonic()
        conn.request("POST", url.path + "/Users", json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.monotonic() - started
        if response.status != 201:
            raise SystemExit(f"{prefix}: {response.status}")
        with lock:
            latencies.append(elapsed)
            counter[0] += 1
    conn.close()


def run(base, token, prefix, with_password, seconds, connections):
    deadline = time.monotonic() + seconds
    latencies, counter, lock = [], [0], threading.Lock()
    threads = [threading.Thread(target=worker, args=(base, token, f"{prefix}{i}", with_password, deadline,
                                                     latencies, counter, lock)) for i in range(connections)]
    return threads, latencies, counter


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


def main():
    base, plain, hashed, seconds, connections = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
    for phase, with_hashing in (("plain creates alone", False), ("plain creates beside argon2id creates", True)):
        tag = "b" if with_hashing else "a"
        threads, latencies, counter = run(base, plain, f"plain{tag}", False, seconds, connections)
        others = run(base, hashed, f"hashed{tag}", True, seconds, connections) if with_hashing else ([], [], [0])
        for thread in threads + others[0]:
            thread.start()
        for thread in threads + others[0]:
            thread.join()
        print(f"{phase}: {counter[0] / seconds:.0f} creates/s, p50 {percentile(latencies, 0.5):.1f} ms, "
              f"p90 {percentile(latencies, 0.9):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms"
              + (f"; argon2id creates {others[2][0] / seconds:.1f}/s, p50 {percentile(others[1], 0.5):.1f} ms"
                 if with_hashing else ""))


if __name__ == "__main__":
    main()
