"""Speed of the pure workflow logic: calendar, deadlines, eligibility, reviewer ranking.

Run: ``PYTHONPATH=src python -m benchmarks.workflow_bench`` (prints figures; asserts nothing).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from openimr.process.calendar import PACIFIC, CaliforniaCalendar, calhr_holidays
from openimr.process.deadlines import DeadlineInputs, compute_deadlines, due_report
from openimr.process.eligibility import ApplicationFacts, PriorApplication, screen_application
from openimr.process.reviewers import (
    Affiliation,
    BoardCertification,
    CaseParties,
    License,
    ReviewerProfile,
    rank_candidates,
)

SPECIALTIES = [
    ("Anesthesiology", "Pain Medicine"),
    ("Physical Medicine & Rehabilitation", None),
    ("Orthopedic Surgery", "Sports Medicine"),
    ("Psychiatry", None),
    ("Family Practice", None),
    ("Preventive Medicine", "Occupational Medicine"),
]


def timed(label: str, n: int, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {n:>6} runs  {elapsed * 1e6 / n:>10.1f} us/run")


def main() -> None:
    rng = random.Random(7)
    calhr_holidays.cache_clear()
    start = time.perf_counter()
    cal = CaliforniaCalendar()
    cal.holidays_in(2024)
    print(f"{'first holiday lookup (cold, one year)':<48} {1:>6} runs  "
          f"{(time.perf_counter() - start) * 1e6:>10.1f} us/run")  # fmt: skip
    days = [dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(4000)) for _ in range(1000)]
    it = iter(days * 100)
    timed("add_business_days(d, 5)", 10000, lambda: cal.add_business_days(next(it), 5))
    it2 = iter(days * 100)
    timed("roll_forward(d + 30)", 10000, lambda: cal.roll_forward(next(it2)))

    inputs = DeadlineInputs(
        ur_decision_served=dt.date(2024, 10, 25),
        ur_service_method="mail",
        application_received=dt.date(2024, 11, 20),
        eligibility_found=dt.date(2024, 11, 25),
        assignment_notice_sent=dt.datetime(2024, 11, 26, 9, tzinfo=PACIFIC),
        records_received=dt.date(2024, 12, 6),
        determination_served=dt.date(2024, 12, 20),
        determination_overturned=True,
    )
    timed("compute_deadlines (full timeline)", 2000, lambda: compute_deadlines(inputs, cal))
    cases = [(f"C{i}", compute_deadlines(inputs, cal)) for i in range(2000)]
    now = dt.datetime(2024, 12, 30, 9, tzinfo=PACIFIC)
    timed("due_report over 2000 cases", 5, lambda: due_report(cases, now, 7))

    facts = ApplicationFacts(
        application_signed=True,
        signed_by="employee",
        application_received=dt.date(2024, 11, 15),
        ur_decision_date=dt.date(2024, 10, 24),
        ur_decision_served=dt.date(2024, 10, 25),
        ur_service_method="mail",
        ur_decision_attached=True,
        ur_outcome="denied",
        ur_timely=True,
        date_of_injury=dt.date(2023, 5, 2),
        items=["physical-therapy"],
        employee_id="E1",
        physician="Ana Delgado",
    )
    prior = [
        PriorApplication(
            application_id=f"P{i}",
            employee_id=f"E{rng.randrange(500)}",
            ur_decision_date=dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300)),
            items=["physical-therapy"],
            status=rng.choice(["pending", "decided", "withdrawn"]),
            decided_on=dt.date(2024, 6, 1),
            physician="Ana Delgado",
        )
        for i in range(1000)
    ]
    timed(
        "screen_application with 1000 prior applications",
        200,
        lambda: screen_application(facts, prior=prior, calendar=cal, today=dt.date(2024, 12, 1)),
    )

    reviewers = []
    for i in range(500):
        spec, sub = rng.choice(SPECIALTIES)
        reviewers.append(
            ReviewerProfile(
                id=f"R{i}",
                name=f"Reviewer {i}",
                licenses=[License(state=rng.choice(["CA", "TX", "NY"]), number=str(i))],
                board_certifications=[
                    BoardCertification(board="B", specialty=spec, subspecialty=sub)
                ],
                years_in_practice=rng.uniform(3, 30),
                weekly_practice_hours=rng.uniform(16, 50),
                affiliations=[
                    Affiliation(name=f"Group {rng.randrange(200)}", kind="provider-group")
                ],
                current_load=rng.randrange(12),
                max_load=10,
            )
        )
    parties = CaseParties(
        employer="Golden State Warehousing, Inc.",
        insurer="Acme Insurance Company",
        claims_administrator="Group 17",
        providers=["Ana Delgado, MD"],
    )
    timed(
        "rank_candidates over 500 reviewers, 2 treatments",
        20,
        lambda: rank_candidates(
            reviewers,
            treatment_ids=["epidural-steroid-injection", "physical-therapy"],
            condition="lumbar radiculopathy",
            body_regions=["lumbar-spine"],
            parties=parties,
            today=dt.date(2024, 12, 1),
        ),
    )


if __name__ == "__main__":
    main()
