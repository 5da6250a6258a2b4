"""Runs :func:`tests.reliability.field.check_invariants` against another database (the fault
check's private server) in a process of its own: ``python -m tests.reliability.check_db
tally.json`` with DATABASE_URL set. Prints the counts as JSON; exits 1 with the reason if an
invariant does not hold."""

import json
import os
import sys


def main(path: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psm_portal.settings_test")
    import django

    django.setup()
    from tests.reliability.field import Tally, check_invariants

    data = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115
    tally = Tally()
    tally.accepted_cases = {k: tuple(v) for k, v in data["accepted_cases"].items()}
    tally.accepted_activities = data["accepted_activities"]
    try:
        counts = check_invariants(tally)
    except AssertionError as exc:
        print(json.dumps({"error": repr(exc)}))
        return 1
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
