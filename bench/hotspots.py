"""Summarise a py-spy profile (collapsed stacks, as `run.py --profile` records them).

    python bench/hotspots.py bench/results/profile/01-a.txt [--top 25]

Prints, as a share of the samples in which the process was busy, the functions where the time
is spent (self) and the calls it is spent under (inclusive). Samples waiting in the event loop's
`select` or in a queue are idle time and are left out of the shares, but counted.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

IDLE_FRAMES = ("EpollSelector.select (selectors.py", "Condition.wait (threading.py")


def summarise(path: Path, top: int) -> str:
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(IDLE_FRAMES):
            idle += int(count)
            continue
        busy += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if not frame.startswith(("thread (", "process ")):
                under[frame] += int(count)
    if not busy:
        return f"{path}: no busy samples ({idle} idle)"
    lines = [f"{path}: {busy} busy samples, {idle} idle", "", "self %  function"]
    lines += [f"{100 * n / busy:5.1f}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "incl %  function (and what it calls)"]
    lines += [f"{100 * n / busy:5.1f}  {frame}" for frame, n in under.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
