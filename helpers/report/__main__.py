"""``python -m helpers.report stable-ids FILE``: number an executed notebook's cells in place (build.stable_ids)."""
import sys

from .build import stable_ids

if len(sys.argv) != 3 or sys.argv[1] != "stable-ids":
    sys.exit("usage: python -m helpers.report stable-ids FILE")
stable_ids(sys.argv[2])
