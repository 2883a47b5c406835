"""Peak memory of one photo upload's normalisation (directory.photos.normalise).

    .venv/bin/python bench/photos.py [--megapixels 48] [--format JPEG]

Each measurement runs in a fresh process: the figure is that process's peak resident
memory (getrusage) while normalising, minus its peak before, i.e. what one server worker
needs on top of itself for one upload.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAKE = """
import sys
from PIL import Image
width, height, fmt, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
small = Image.radial_gradient("L").resize((width // 8, height // 8)).convert("RGB")
image = small.resize((width, height))
image.save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
"""

MEASURE = """
import io, json, resource, sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from directory.photos import normalise
data = open(sys.argv[1], "rb").read()
upload = SimpleUploadedFile("photo", data)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
error = None
try:
    out = normalise(upload)
except Exception as exc:
    error = " ".join(getattr(exc, "messages", [str(exc)]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"file_mb": len(data) / 1e6, "extra_mb": (after - before) / 1024, "error": error}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megapixels", type=float, default=48)
    parser.add_argument("--format", default="JPEG")
    args = parser.parse_args()
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"photo.{args.format.lower()}"
        subprocess.run(
            [sys.executable, "-c", MAKE, str(width), str(height), args.format, str(path)],
            check=True,
        )
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"{args.format} {width} × {height} ({width * height / 1e6:.1f} Mpx, "
        f"{result['file_mb']:.1f} Mo) : {result['extra_mb']:.0f} Mo de mémoire en plus"
        + (f" — refusée : {result['error']}" if result["error"] else "")
    )


if __name__ == "__main__":
    main()
