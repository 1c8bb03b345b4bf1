"""The tallies of registrations per workshop and status (``RegistrationTally``, kept by the
database's triggers, migration 0011) and per programme and status (``ProgrammeTally``,
0013) equal a count of the registrations after every kind of change: the public paths
(the rush's procedure on PostgreSQL), confirm, cancel, promotion, expiry, the organisers'
move and cancel, erasure, a row deleted and a status set in plain SQL, a workshop moved to
another programme, a workshop or a programme deleted; and the attendee list's counts
come from them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from events.extensions import db
from events.models import (
    ProgrammeTally,
    Registration,
    RegistrationStatus,
    RegistrationTally,
    Workshop,
    utcnow,
)
from events.services import attendee_lists, seat_admin, seat_pipeline, seats, subject_rights
from events.services.errors import InvalidInput, StateConflict
from tests.conftest import applicant

pytestmark = pytest.mark.backends

S = RegistrationStatus


def counted() -> dict[tuple[int, str], int]:
    return {(workshop_id, S(status).value): n for workshop_id, status, n in db.session.execute(
        select(Registration.workshop_id, Registration.status, func.count())
        .group_by(Registration.workshop_id, Registration.status))}


def tallied() -> dict[tuple[int, str], int]:
    """The workshops' tally; asserts on the way that the programmes' tally agrees with a
    count of the registrations (migration 0013)."""
    by_programme = {(programme_id, S(status).value): n
                    for programme_id, status, n in db.session.execute(
                        select(Workshop.programme_id, Registration.status, func.count())
                        .join(Workshop, Workshop.id == Registration.workshop_id)
                        .group_by(Workshop.programme_id, Registration.status))}
    assert {(row.programme_id, row.status.value): row.number
            for row in db.session.scalars(select(ProgrammeTally)) if row.number} \
        == by_programme
    return {(row.workshop_id, row.status.value): row.number
            for row in db.session.scalars(select(RegistrationTally)) if row.number}


def register(workshop_id: int, n: int):
    """As the form and the API do: the rush's path where it applies, else the full one."""
    result = seat_pipeline.register(workshop_id, applicant(n))
    if result is None:
        result = seats.register(workshop_id, applicant(n))
        db.session.commit()
    return result


def test_the_tally_follows_every_change(app, make_programme, make_workshop, make_organiser):
    rng = random.Random(11)
    organiser = make_organiser("admin")
    programme = make_programme(capacity=12)
    workshops = [make_workshop(capacity=rng.randint(1, 4), programme_=programme).id
                 for _ in range(4)]
    people = list(range(40))
    for round_ in range(6):
        for n in rng.sample(people, 10):
            register(rng.choice(workshops), n)
        ids = list(db.session.scalars(select(Registration.id)))
        for registration_id in rng.sample(ids, min(6, len(ids))):
            action = rng.choice(["confirm", "cancel", "admin_cancel", "move"])
            try:
                if action == "confirm":
                    seats.confirm(registration_id)
                elif action == "cancel":
                    seats.cancel(registration_id)
                elif action == "admin_cancel":
                    seat_admin.cancel(registration_id, organiser, "Test")
                else:
                    seat_admin.move(registration_id, rng.choice(workshops), organiser)
                db.session.commit()
            except (InvalidInput, StateConflict):
                db.session.rollback()
        # reservations run out: expiry and promotion
        db.session.execute(update(Registration).where(Registration.status == S.pending)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        seats.expire_due()
        db.session.commit()
        assert tallied() == counted(), round_

    person = db.session.scalar(select(Registration.participant_id).limit(1))
    subject_rights.erase(person)
    db.session.commit()
    db.session.execute(delete(Registration).where(Registration.id == db.session.scalar(
        select(func.max(Registration.id)))))
    db.session.execute(text("UPDATE registration SET status = 'expired' "
                            "WHERE id = (SELECT min(id) FROM registration)"))
    db.session.commit()
    assert tallied() == counted()

    # the attendee list's counts are the tally's, for the programme and for a workshop
    query = attendee_lists.ListQuery(programme_id=programme.id)
    expected = {}
    for (_workshop, status), n in counted().items():
        expected[status] = expected.get(status, 0) + n
    assert attendee_lists.page(query).counts == expected
    one = attendee_lists.ListQuery(programme_id=programme.id, workshop_id=workshops[0])
    assert attendee_lists.page(one).counts == {
        status: n for (workshop, status), n in counted().items() if workshop == workshops[0]}


def test_a_deleted_workshop_takes_its_tally_along(app, make_workshop):
    workshop = make_workshop(capacity=2)
    for n in range(3):
        register(workshop.id, n)
    assert tallied() == {(workshop.id, "pending"): 2, (workshop.id, "waitlisted"): 1}
    db.session.execute(delete(Registration))
    db.session.delete(workshop)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RegistrationTally)) == 0


def test_a_workshop_moved_or_deleted_and_a_programme_deleted_keep_the_tallies_right(
        app, make_programme, make_workshop):
    first, second = make_programme(capacity=50), make_programme(capacity=50)
    workshops = [make_workshop(capacity=2, programme_=first) for _ in range(2)]
    other = make_workshop(capacity=3, programme_=second)
    for n in range(8):
        register((workshops + [other])[n % 3].id, n)
    assert tallied() == counted() and len(counted()) == 5
    # a workshop moves to the other programme (in plain SQL: whatever code does it)
    db.session.execute(text("UPDATE workshop SET programme_id = :p WHERE id = :w"),
                       {"p": second.id, "w": workshops[0].id})
    db.session.commit()
    assert tallied() == counted()
    assert attendee_lists.status_counts(None, second.id) == {"pending": 4, "waitlisted": 1}
    # a workshop deleted with its registrations, then a whole programme
    db.session.execute(delete(Registration).where(Registration.workshop_id == other.id))
    db.session.execute(delete(Workshop).where(Workshop.id == other.id))
    db.session.commit()
    assert tallied() == counted()
    assert attendee_lists.status_counts(None, second.id) == {"pending": 2, "waitlisted": 1}
    db.session.execute(delete(Registration).where(Registration.workshop_id.in_(
        select(Workshop.id).where(Workshop.programme_id == first.id))))
    db.session.execute(delete(Workshop).where(Workshop.programme_id == first.id))
    db.session.delete(first)
    db.session.commit()
    assert tallied() == counted()
    assert db.session.scalar(select(func.count()).select_from(ProgrammeTally)
                             .where(ProgrammeTally.programme_id == first.id)) == 0
