"""Benchmark: launch-day load against a running production stack (issue #17).

Usage:
    .venv/bin/python bench/rush.py BASE_URL [--stages 2,4,8,12,16,24] [--seconds 20]
                                            [--insecure] [--json out.json]

A visit is what a visitor's browser asks the server for on a first look, static files
excluded (nginx serves them from disk with far-future caching; bench/stack.py measures
that): the home page, two map-layer tiles (the tile URLs the page's script builds from its
map config: {z}/{x}/{y} with the data version, filters if any), one search around a place
(the HTML results page) and one listing page taken from those results. Places are towns of
the default region, drawn at random with a filter (a kind or a category) one visit in three.

Each stage runs N simulated visitors at once, visit after visit without pause (a closed
loop), for --seconds; each visitor keeps its own connection (keep-alive) and its own client
address (X-Forwarded-For, which the stack believes from nginx only), as real visitors do, so
the per-address rate limits apply to each one, not to the benchmark as a whole. It reports,
per stage, visits/s, p50/p95/p99 per request type and errors, then the best stage: the
highest visits/s with every request type's p95 under 500 ms and no error.
"""

import argparse
import json
import random
import re
import sys
import threading
import time
from urllib.parse import urlencode

import urllib3

# Towns of Centre-Val de Loire (the default region): name, latitude, longitude.
TOWNS = [
    ("Orléans", 47.9025, 1.909),
    ("Tours", 47.3941, 0.6848),
    ("Blois", 47.5861, 1.3359),
    ("Bourges", 47.081, 2.3988),
    ("Chartres", 48.4439, 1.489),
    ("Châteauroux", 46.8103, 1.6913),
    ("Vierzon", 47.2219, 2.0689),
    ("Dreux", 48.7365, 1.3664),
    ("Montargis", 47.9975, 2.7327),
    ("Vendôme", 47.7928, 1.0656),
    ("Romorantin-Lanthenay", 47.3597, 1.7411),
    ("Amboise", 47.4125, 0.9826),
    ("Chinon", 47.1669, 0.2421),
    ("Issoudun", 46.9481, 1.9933),
    ("Gien", 47.6878, 2.6306),
    ("Loches", 47.1286, 0.9953),
    ("Pithiviers", 48.1719, 2.2519),
    ("Châteaudun", 48.0708, 1.3386),
    ("Saint-Amand-Montrond", 46.7228, 2.505),
    ("Le Blanc", 46.6339, 1.0628),
]
KINDS = ["producer", "market", "shop", "pickup"]
CATEGORIES = ["fruits-legumes", "fromage-laitier", "viande", "pain"]
TYPES = ("home", "layer", "search", "listing")
LIMIT_MS = 500
CONFIG = re.compile(r'<script id="map-config" type="application/json">(.*?)</script>', re.S)
LISTING = re.compile(r'href="(/acteurs/[^"/]+/)"')


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class Visitor(threading.Thread):
    def __init__(self, base, number, stop, insecure, seed):
        super().__init__(daemon=True)
        self.base, self.stop, self.rng = base.rstrip("/"), stop, random.Random(seed)
        kwargs = {"cert_reqs": "CERT_NONE"} if insecure else {}
        self.http = urllib3.PoolManager(maxsize=1, retries=False, timeout=30, **kwargs)
        # One client address per visitor (10.x.y.z), as nginx would forward it.
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        self.times = {t: [] for t in TYPES}
        self.errors = []
        self.visits = 0

    def get(self, kind, path):
        started = time.perf_counter()
        try:
            response = self.http.request(
                "GET",
                self.base + path,
                headers={
                    "X-Forwarded-For": self.address,
                    "Accept-Encoding": "gzip",
                    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) ToutPresRush/1.0 Firefox/128.0",
                },
                redirect=False,
            )
            body = response.data
            status = response.status
        except Exception as error:  # noqa: BLE001 - counted as an error
            self.errors.append(f"{kind} {path}: {error}")
            return None
        self.times[kind].append((time.perf_counter() - started) * 1000)
        if status != 200:
            self.errors.append(f"{kind} {path}: {status}")
            return None
        return body.decode("utf-8", "replace")

    def visit(self):
        name, lat, lon = self.rng.choice(TOWNS)
        filters = {}
        draw = self.rng.random()
        if draw < 1 / 6:
            filters = {"kind": self.rng.choice(KINDS)}
        elif draw < 1 / 3:
            filters = {"category": self.rng.choice(CATEGORIES)}
        home = self.get("home", "/")
        if home is None:
            return
        match = CONFIG.search(home)
        config = json.loads(match.group(1)) if match else None
        if not config:
            self.errors.append("home: no map config")
            return
        # Two tiles around the place at a town's zoom, as the script names them.
        zoom = 11
        size = config["layerTileDegrees"] / 2**zoom
        x, y = int((lon + 180) // size), int((lat + 90) // size)
        query = urlencode({**filters, "v": config["layerVersion"]})
        for dx in (0, 1):
            tile = config["layerTileUrl"].format(z=zoom, x=x + dx, y=y)
            self.get("layer", tile + "?" + query)
        results = self.get("search", "/?" + urlencode({"where": name, "radius": 20, **filters}))
        if results is None:
            return
        listings = LISTING.findall(results)
        if not listings:
            results = self.get("search", "/?" + urlencode({"where": name, "radius": 30}))
            listings = LISTING.findall(results or "")
        if listings:
            self.get("listing", self.rng.choice(listings[:20]))
        self.visits += 1

    def run(self):
        while not self.stop.is_set():
            self.visit()


def stage(base, visitors, seconds, insecure, first):
    stop = threading.Event()
    crowd = [Visitor(base, first + n, stop, insecure, seed=first + n) for n in range(visitors)]
    started = time.perf_counter()
    for visitor in crowd:
        visitor.start()
    time.sleep(seconds)
    stop.set()
    for visitor in crowd:
        visitor.join(60)
    elapsed = time.perf_counter() - started
    times = {t: [ms for v in crowd for ms in v.times[t]] for t in TYPES}
    errors = [e for v in crowd for e in v.errors]
    result = {
        "visitors": visitors,
        "seconds": round(elapsed, 1),
        "visits": sum(v.visits for v in crowd),
        "visits_per_s": round(sum(v.visits for v in crowd) / elapsed, 2),
        "errors": len(errors),
        "error_samples": errors[:5],
        "types": {
            t: {
                "n": len(times[t]),
                "p50": round(percentile(times[t], 50), 1),
                "p95": round(percentile(times[t], 95), 1),
                "p99": round(percentile(times[t], 99), 1),
            }
            for t in TYPES
        },
    }
    result["ok"] = not errors and all(
        v["p95"] < LIMIT_MS for v in result["types"].values() if v["n"]
    )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the stack's address, e.g. https://127.0.0.1")
    parser.add_argument("--stages", default="2,4,8,12,16,24", help="visitors at once, per stage")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--insecure", action="store_true", help="self-signed certificate")
    parser.add_argument("--json", help="write the results there")
    args = parser.parse_args()
    if args.base.startswith("https"):
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    results, first = [], 1
    for visitors in (int(n) for n in args.stages.split(",")):
        result = stage(args.base, visitors, args.seconds, args.insecure, first)
        first += visitors
        results.append(result)
        cells = "  ".join(
            f"{t} {v['p50']:.0f}/{v['p95']:.0f}/{v['p99']:.0f}" for t, v in result["types"].items()
        )
        print(
            f"{visitors:3d} visitors  {result['visits_per_s']:6.2f} visits/s  "
            f"errors {result['errors']}  p50/p95/p99 ms: {cells}  {'ok' if result['ok'] else 'OVER'}",
            flush=True,
        )
        for sample in result["error_samples"]:
            print("     ", sample)
        if not result["ok"] and any(r["ok"] for r in results[:-1]):
            break  # past the knee: more visitors only queue
    passing = [r for r in results if r["ok"]]
    best = max(passing, key=lambda r: r["visits_per_s"]) if passing else None
    if best:
        print(
            f"best: {best['visits_per_s']:.2f} visits/s with {best['visitors']} visitors at once "
            f"(p95 < {LIMIT_MS} ms for every request type, no error); target 20"
        )
    else:
        print(f"no stage kept p95 under {LIMIT_MS} ms without errors")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"stages": results, "best": best}, out, indent=2)
    return 0 if best else 1


if __name__ == "__main__":
    sys.exit(main())
