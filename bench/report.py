"""Compare the backends from var/bench/*.json (written by bench/search.py)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    results = {
        p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "var" / "bench").glob("*.json"))
    }
    for name, r in results.items():
        print(
            f"{name:22s} api {r['api_ms']:8.2f} ms  raw {r['raw_ms']:8.2f} ms  api/raw {r['api_to_raw']:5.2f}"
            f"  all SQL {r['all_sql_ms']:8.2f} ms  api/all SQL {r['api_to_all_sql']:5.2f}"
            f"  layer 1/{r['all_gzip_bytes'] / r['layer_gzip_bytes']:.0f} ({r['layer_gzip_bytes']:,} B)"
        )
    for size in sorted({name.split("-")[1] for name in results}):
        sqlite, pg = results.get(f"sqlite-{size}"), results.get(f"postgresql-{size}")
        if sqlite and pg:
            print(
                f"{size} actors: SpatiaLite / PostGIS = {sqlite['api_ms'] / pg['api_ms']:.2f} (API), "
                f"{sqlite['raw_ms'] / pg['raw_ms']:.2f} (raw SQL)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
