"""Run every benchmark: each ``bench/bench_*.py`` module's ``main()``, in name order.

    python -m bench                 # all
    python -m bench scoring gateway # only bench_scoring and bench_gateway

Each module prints its own results (and its ratio against a baseline measured in the same run).
A failing benchmark is reported and the others still run; the exit status is non-zero then.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(p.stem for p in here.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    wanted = list(sys.argv[1:] if argv is None else argv)
    names = discover()
    if wanted:
        names = [n for n in names if n in wanted or n.removeprefix("bench_") in wanted]
    failed: list[str] = []
    for name in names:
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        saved = sys.argv
        sys.argv = [f"bench.{name}"]  # each main() parses its own (empty) command line
        try:
            module = importlib.import_module(f"bench.{name}")
            module.main()
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed.append(name)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        finally:
            sys.argv = saved
        print(f"=== {name}: {time.perf_counter() - started:.1f} s ===\n", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
