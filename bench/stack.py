"""Benchmark: the production stack's throughput with wrk (Debian's `wrk`), issue #17.

Usage:
    .venv/bin/python bench/stack.py BASE_URL [--seconds 15] [--connections 32]
                                             [--kinds-minutes 5] [--json out.json]

In one run, against the same nginx:
  static   a hashed static file (the home page's stylesheet), served by nginx from disk
  layer    one cached map-layer tile at the page's data version (the URL the script asks
           for), through nginx and gunicorn; each request from another client address
           (X-Forwarded-For), so the per-address rate limit counts visitors, not wrk
  ratio    layer / static requests per second (target: at least 50 %)
Then `/api/v1/kinds/` from ONE client address for --kinds-minutes, in one-minute slices:
requests/s per slice, to show that the rate limit's cost does not grow with the client's
history (DRF's throttle re-pickled every request's timestamp: 1,139 → 227 requests/s over
30 minutes). The stack must run with a limit above what wrk sends (API_RATE_LIMIT, e.g.
100000000/hour), or the slices measure 429s (counted and reported).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

CONFIG = re.compile(r'<script id="map-config" type="application/json">(.*?)</script>', re.S)
STYLESHEET = re.compile(r'<link[^>]+href="(/static/[^"]+\.css)"')

# Another client address for each request, and a count of non-2xx answers.
SPREAD = """
local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format()
end
"""
ONE_CLIENT = """
wrk.headers["X-Forwarded-For"] = "10.200.0.1"
"""
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"non2xx\\": %d, \\"errors\\": %d, \\"p50_ms\\": %f, \\"p99_ms\\": %f}\\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def fetch(url: str) -> str:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": "10.250.0.1"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our stack)
        return response.read().decode()


def wrk(url: str, seconds: float, connections: int, script: str, threads: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + REPORT)
    out = subprocess.run(
        [
            shutil.which("wrk") or "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "-H",
            "Accept-Encoding: gzip",
            "-s",
            lua.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(lua.name).unlink()
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    result = json.loads(line[5:])
    result["per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the stack's address, e.g. http://127.0.0.1:8480")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--kinds-minutes", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    base = args.base.rstrip("/")
    home = fetch(base + "/")
    config = json.loads(CONFIG.search(home).group(1))
    static = base + STYLESHEET.search(home).group(1)
    # The region's first view: a tile of the initial zoom holding the map's centre.
    zoom = int(config["zoom"])
    lat, lon = config["center"]
    size = config["layerTileDegrees"] / 2**zoom
    tile = config["layerTileUrl"].format(
        z=zoom, x=int((lon + 180) // size), y=int((lat + 90) // size)
    )
    layer = f"{base}{tile}?v={config['layerVersion']}"
    fetch(layer)  # rendered once: the run measures the cached tile

    results = {
        "static_url": static,
        "layer_url": layer,
        "static": wrk(static, args.seconds, args.connections, SPREAD),
        "layer": wrk(layer, args.seconds, args.connections, SPREAD),
    }
    results["ratio"] = round(results["layer"]["per_s"] / results["static"]["per_s"], 3)
    print(f"static  {results['static']['per_s']:9.1f} req/s  ({static})")
    print(f"layer   {results['layer']['per_s']:9.1f} req/s  ({layer})")
    print(f"layer / static = {results['ratio']:.1%}   (target ≥ 50 %)")
    for name in ("static", "layer"):
        if results[name]["non2xx"] or results[name]["errors"]:
            print(f"  {name}: {results[name]['non2xx']} non-2xx, {results[name]['errors']} errors")

    kinds = []
    for minute in range(args.kinds_minutes):
        slice_ = wrk(base + "/api/v1/kinds/", 60, 4, ONE_CLIENT, threads=1)
        kinds.append(slice_)
        print(
            f"kinds minute {minute + 1}: {slice_['per_s']:8.1f} req/s  p99 {slice_['p99_ms']:.1f} ms"
            + (f"  ({slice_['non2xx']} non-2xx)" if slice_["non2xx"] else ""),
            flush=True,
        )
    if kinds:
        results["kinds"] = kinds
        results["kinds_last_to_first"] = round(kinds[-1]["per_s"] / kinds[0]["per_s"], 3)
        print(f"kinds last / first minute = {results['kinds_last_to_first']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
