"""Signing cost: a cold build of the example story with Content Credentials against one without.

Run: uv run python benchmarks/signing.py [--story DIR] [--pairs N]

Each build is ``python -m mediapack build STORY --no-cache`` in a fresh process (a cold build: every
rendition made, nothing cached). Unsigned and signed builds alternate in pairs, the order flipping each
pair, so a neighbour's load on a shared machine falls on both alike; the ratio of the medians is the
figure (target: at most 1.10). The signing certificate (a root CA and an ES256 leaf) is made for the run
with ``cryptography`` in a temporary folder.

On a machine shared with other jobs the pair ratios scatter more than signing costs, so the run also
measures signing directly, in one more cold build in this process: the seconds of the signing stage
(every file signed) plus those of the set-up (importing cryptography and c2pa, checking the certificate),
as a share of that build's seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "credentials"))
from signing_certificates import make_credentials  # the tests' certificate maker, after sys.path

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "harbour-ferry"


def timed_build(story: Path, out: Path, env: dict[str, str]) -> float:
    """Seconds of one cold build in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mediapack", "build", str(story), "--out", str(out), "--no-cache",
                           "--force", "--quiet"], capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return seconds


def signing_share(story: Path, out: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Build once in-process, signed, timing the signing set-up and stage; return them and the build's seconds."""
    os.environ.update(env)
    from mediapack import build as build_module
    from mediapack import check as check_module
    from mediapack.config import load_settings
    from mediapack.context import BuildOptions

    spent = {"setup": 0.0, "stage": 0.0}

    def timed(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return run

    check_module.signing_setup = timed("setup", check_module.signing_setup)
    build_module.sign_media = timed("stage", build_module.sign_media)
    started = time.perf_counter()
    build_module.build(story, out, load_settings(story), BuildOptions(cache_dir=None, force=True))
    return spent["setup"], spent["stage"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--story", type=Path, default=EXAMPLE, help="story folder (default: the example story)")
    parser.add_argument("--pairs", type=int, default=5, help="alternating unsigned/signed pairs (default 5)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    base = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAPACK_C2PA_")}
    with tempfile.TemporaryDirectory(prefix="mediapack-signing-") as tmp:
        work = Path(tmp)
        creds = make_credentials(work / "creds")
        signed_env = {**base, "MEDIAPACK_C2PA_CERT": str(creds.chain), "MEDIAPACK_C2PA_KEY": str(creds.key)}
        timed_build(args.story, work / "warm-up", base)  # bytecode and disk caches, for both alike
        unsigned, signed = [], []
        for pair in range(args.pairs):
            order = [(unsigned, base), (signed, signed_env)]
            for times, env in order if pair % 2 == 0 else reversed(order):
                times.append(timed_build(args.story, work / "dist", env))
            print(f"pair {pair + 1}: unsigned {unsigned[-1]:.2f} s, signed {signed[-1]:.2f} s, "
                  f"ratio {signed[-1] / unsigned[-1]:.3f}")
        files = [p for p in (work / "dist").rglob("*") if p.suffix in (".jpg", ".webp", ".avif", ".mp4")]
        setup, stage, whole = signing_share(args.story, work / "in-process", signed_env)
    ratio = statistics.median(signed) / statistics.median(unsigned)
    print(f"\nstory: {args.story}; {len(files)} picture and MP4 files in the output")
    print(f"median cold build: unsigned {statistics.median(unsigned):.2f} s, signed {statistics.median(signed):.2f} s")
    print(f"signed/unsigned = {ratio:.3f} (target <= 1.10); per-pair ratios: "
          f"{', '.join(f'{s / u:.3f}' for s, u in zip(signed, unsigned, strict=True))}")
    print(f"in-process signed cold build {whole:.2f} s: set-up {setup:.3f} s + signing stage {stage:.3f} s = "
          f"{(setup + stage) / whole:.1%} of it (target <= 10%)")


if __name__ == "__main__":
    main()
