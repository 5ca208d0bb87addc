"""``python -m helpers.report stable-ids FILE``: number an executed notebook's cells in place (build.stable_ids);
``python -m helpers.report search-hint SCALE``: the line `make report` ends with (best.hint)."""
import sys

from .build import stable_ids

if len(sys.argv) == 3 and sys.argv[1] == "search-hint":
    from .best import hint
    print(hint(sys.argv[2]))
elif len(sys.argv) == 3 and sys.argv[1] == "stable-ids":
    stable_ids(sys.argv[2])
else:
    sys.exit("usage: python -m helpers.report stable-ids FILE | search-hint full|smoke")
