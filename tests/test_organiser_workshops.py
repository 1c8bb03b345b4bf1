"""Back office: workshops and themes — the capacity rule, create/edit/publish, preview,
duplicate, cancel, themes order, validation, CSRF and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import OutboxMessage, Registration, RegistrationStatus
from events.services import seats, workshops
from events.services.errors import InvalidInput
from tests.conftest import applicant, confirmed

S = RegistrationStatus


def kinds(registration_id=None) -> list[str]:
    query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return list(db.session.scalars(query))


# --- the decided rule: capacity never below the seats held ------------------------------


@pytest.mark.backends
def test_lowering_capacity_below_held_seats_is_refused_and_nothing_changes(make_workshop, now):
    workshop = make_workshop(capacity=3)
    confirmed(workshop, 1, now)
    seats.register(workshop.id, applicant(2), now=now)  # pending holds a seat too
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        workshops.set_capacity(workshop.id, 1, now=now)
    db.session.rollback()
    assert "2 Personen halten einen Platz" in refused.value.errors["capacity"]
    db.session.refresh(workshop)
    assert workshop.capacity == 3
    workshops.set_capacity(workshop.id, 2, now=now)  # down to exactly the held seats: fine
    db.session.commit()
    assert workshop.capacity == 2


@pytest.mark.backends
def test_lowering_the_programme_cap_below_holders_is_refused(make_programme, make_workshop,
                                                            now):
    programme = make_programme(capacity=5, deleted_participants=1)
    workshop = make_workshop(capacity=5, programme_=programme)
    confirmed(workshop, 1, now)
    confirmed(workshop, 2, now)
    with pytest.raises(InvalidInput) as refused:
        workshops.set_programme_capacity(programme.id, 2, now=now)  # 2 people + 1 deleted
    db.session.rollback()
    assert "mindestens 3" in refused.value.errors["capacity"]
    workshops.set_programme_capacity(programme.id, 3, now=now)
    db.session.commit()
    assert programme.capacity == 3


def test_capacity_out_of_range_is_refused(make_workshop):
    workshop = make_workshop(capacity=3)
    for value in (-1, 100_001, 99999999999999999999):
        with pytest.raises(InvalidInput):
            workshops.set_capacity(workshop.id, value)
        db.session.rollback()


def test_cli_capacity_refuses_below_held_seats_with_the_reason(runner, make_workshop, now):
    workshop = make_workshop(capacity=2)
    confirmed(workshop, 1, now)
    confirmed(workshop, 2, now)
    result = runner.invoke(args=["workshop", "capacity", str(workshop.id), "1"])
    assert result.exit_code != 0
    assert "mindestens 2" in result.output
    result = runner.invoke(args=["workshop", "capacity", str(workshop.id), "4"])
    assert result.exit_code == 0, result.output
    db.session.refresh(workshop)
    assert workshop.capacity == 4
