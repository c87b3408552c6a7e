"""`actcli list` wall time against the floor `python -c "import typer, rich, yaml"`.

The floor is what any typer + rich + PyYAML tool pays before doing anything; the target is at
most 1.5x that. Usage: python benchmarks/startup.py [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _timing import best_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    floor = best_time([sys.executable, "-c", "import typer, rich, yaml"], args.repeats)
    for label, command in [
        ("actcli --help", [actcli, "--help"]),
        ("actcli list", [actcli, "list"]),
        ("actcli list --format json", [actcli, "list", "--format", "json"]),
    ]:
        seconds = best_time(command, args.repeats)
        print(f"{label:28s} {seconds * 1000:7.1f} ms  {seconds / floor:4.2f}x floor")
    print(f"{'floor (import typer, rich, yaml)':28s} {floor * 1000:7.1f} ms  target <= 1.50x")


if __name__ == "__main__":
    main()
