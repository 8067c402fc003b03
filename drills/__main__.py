"""python -m drills seed [--short] | scenario NAME[,NAME...]|all [--short] [--unprotected]
[--write-doc]

Run by platform/drill with the site's environment (see docs/reliability.md)."""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import core

DOC = core.ROOT / "docs" / "reliability.md"


def write_doc(results: list[core.Result], short: bool, unprotected: bool, seconds: float) -> None:
    """Replace the figures between the doc's markers: one section for the protected runs,
    one for the runs with the protection off."""
    import os
    import platform

    marker = "drill-unprotected" if unprotected else "drill-figures"
    START, END = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"  # noqa: N806
    from .scenarios import SCENARIOS

    names = ",".join(r.name for r in results)
    if names == ",".join(SCENARIOS):
        names = "all"
    form = ("--short " if short else "") + ("--unprotected " if unprotected else "")
    text = "\n".join(
        [
            START,
            f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{'short' if short else 'full'} form "
            f"(`platform/drill scenario {names} {form}--write-doc`), "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"in {seconds:.0f} s.",
            "",
            *(r.markdown() for r in results),
            END,
        ]
    )
    current = DOC.read_text()
    if START in current and END in current:
        before, rest = current.split(START, 1)
        current = before + text + rest.split(END, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + text + "\n"
    DOC.write_text(current)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m drills", description=__doc__)
    parser.add_argument("action", choices=["seed", "scenario"])
    parser.add_argument("name", nargs="?", default="all")
    parser.add_argument("--short", action="store_true", help="the CI form: shorter, smaller")
    parser.add_argument(
        "--unprotected", action="store_true", help="switch off the protection: it should fail"
    )
    parser.add_argument("--write-doc", action="store_true", help="put the figures in the doc")
    args = parser.parse_args(argv)
    core.setup_django()
    if args.action == "seed":
        from . import seed

        seed.run(args.short)
        return 0
    from .scenarios import SCENARIOS

    names = list(SCENARIOS) if args.name == "all" else args.name.split(",")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"no scenario {unknown[0]}; choose from: all, {', '.join(SCENARIOS)}")
    results = []
    started = time.monotonic()
    for name in names:
        title, scenario = SCENARIOS[name]
        result = core.Result(name, title, args.short, args.unprotected)
        print(f"== {name}: {title}{' (protection off)' if args.unprotected else ''}", flush=True)
        clock = time.monotonic()
        try:
            scenario(result, args.short, args.unprotected)
        except Exception as exc:  # noqa: BLE001 (reported as the scenario's failure)
            result.check(f"the scenario ran ({type(exc).__name__}: {exc})", False)
        result.seconds = time.monotonic() - clock
        print(f"== {name}: {'PASS' if result.passed else 'FAIL'} in {result.seconds:.0f} s")
        results.append(result)
    seconds = time.monotonic() - started
    out = core.state() / "results.json"
    out.write_text(json.dumps([r.as_json() for r in results], indent=2))
    Path(core.state() / "report.md").write_text("\n".join(r.markdown() for r in results))
    if args.write_doc:
        write_doc(results, args.short, args.unprotected, seconds)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
