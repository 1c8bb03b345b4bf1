"""The registration rules (decided), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import OutboxMessage, Registration, WorkshopStatus
from events.models import RegistrationStatus as S
from events.services import seats, workshops
from events.services.errors import InvalidInput, NotFound, RegistrationClosed, StateConflict
from tests.conftest import applicant

pytestmark = pytest.mark.backends


def register(workshop, n, now, **fields):
    result = seats.register(workshop.id, applicant(n, **fields), now=now)
    db.session.commit()
    return result


def kinds(registration_id=None):
    query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return list(db.session.scalars(query))


def test_free_seat_is_reserved_pending_with_deadline(make_workshop, now):
    workshop = make_workshop(capacity=2)
    result = register(workshop, 1, now)
    assert result.created and result.status == S.pending
    assert result.registration.expires_at == now + timedelta(hours=48)
    assert kinds(result.registration.id) == ["confirm_request"]


def test_deadline_never_after_workshop_start(make_workshop, now):
    workshop = make_workshop(capacity=2, starts_in=timedelta(hours=5))
    result = register(workshop, 1, now)
    assert result.registration.expires_at == workshop.starts_at


def test_full_workshop_waitlists_with_position(make_workshop, now):
    workshop = make_workshop(capacity=1)
    register(workshop, 1, now)
    second = register(workshop, 2, now + timedelta(seconds=1))
    third = register(workshop, 3, now + timedelta(seconds=2))
    assert (second.status, second.waitlist_position) == (S.waitlisted, 2 - 1)
    assert third.waitlist_position == 2
    assert kinds(third.registration.id) == ["waitlisted"]


def test_programme_cap_counts_distinct_people(make_programme, make_workshop, now):
    programme = make_programme(capacity=2)
    a = make_workshop(capacity=5, programme_=programme)
    b = make_workshop(capacity=5, programme_=programme)
    register(a, 1, now)
    register(a, 2, now)
    # person 1 already holds a seat: no second programme place needed
    assert register(b, 1, now, email="  PERSON1@kommune.example ").status == S.pending
    # a third person exceeds the cap although workshop b has free seats
    assert register(b, 3, now).status == S.waitlisted


def test_repeated_registration_creates_nothing_and_resends_link_once(make_workshop, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    again = register(workshop, 1, now + timedelta(minutes=1))
    assert not again.created and again.status == S.pending and again.link_resent
    soon = register(workshop, 1, now + timedelta(minutes=5))
    assert not soon.link_resent
    later = register(workshop, 1, now + timedelta(minutes=12))
    assert later.link_resent
    assert db.session.scalar(select(db.func.count(Registration.id))) == 1
    assert kinds(first.registration.id) == ["confirm_request", "link_again", "link_again"]


def test_confirm_then_cancel_promotes_earliest_waiting(make_workshop, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    register(workshop, 2, now + timedelta(seconds=1))
    register(workshop, 3, now + timedelta(seconds=2))
    seats.confirm(first.registration.id, now=now + timedelta(minutes=1))
    db.session.commit()
    assert db.session.get(Registration, first.registration.id).status == S.confirmed
    later = now + timedelta(hours=1)
    seats.cancel(first.registration.id, now=later)
    db.session.commit()
    statuses = dict(db.session.execute(
        select(Registration.id, Registration.status).order_by(Registration.id)).all())
    assert list(statuses.values()) == [S.cancelled, S.pending, S.waitlisted]
    promoted = db.session.get(Registration, 2)
    assert promoted.expires_at == later + timedelta(hours=48)
    assert kinds(2) == ["waitlisted", "promoted"]


def test_promotion_skips_entries_that_do_not_fit_the_cap(make_programme, make_workshop, now):
    programme = make_programme(capacity=1)
    a = make_workshop(capacity=1, programme_=programme)
    b = make_workshop(capacity=1, programme_=programme)
    holder = register(a, 1, now)          # holds the only programme place
    register(b, 2, now + timedelta(seconds=1))   # cap full: waits
    register(a, 3, now + timedelta(seconds=2))   # a full: waits
    seats.cancel(holder.registration.id, now=now + timedelta(minutes=1))
    db.session.commit()
    # earliest waiting entry that fits both limits: person 2 in b; afterwards the cap is full
    assert db.session.get(Registration, 2).status == S.pending
    assert db.session.get(Registration, 3).status == S.waitlisted


def test_expiry_frees_the_seat_and_promotes(make_workshop, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    register(workshop, 2, now + timedelta(seconds=1))
    assert seats.expire_due(now + timedelta(hours=47)) == 0
    assert seats.expire_due(now + timedelta(hours=48, seconds=1)) == 1
    db.session.commit()
    assert db.session.get(Registration, first.registration.id).status == S.expired
    assert db.session.get(Registration, 2).status == S.pending
    assert kinds(first.registration.id)[-1] == "expired"


def test_late_confirmation_expires_instead(make_workshop, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    registration = seats.confirm(first.registration.id, now=now + timedelta(hours=49))
    db.session.commit()
    assert registration.status == S.expired


def test_register_again_after_cancel_reuses_row(make_workshop, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    seats.cancel(first.registration.id, now=now)
    db.session.commit()
    again = register(workshop, 1, now + timedelta(minutes=1))
    assert again.created and again.registration.id == first.registration.id
    assert again.status == S.pending


@pytest.mark.parametrize("state, change, message", [
    ("draft", {"status": WorkshopStatus.draft}, None),
    ("cancelled", {"status": WorkshopStatus.cancelled}, "abgesagt"),
    ("not_yet_open", {"registration_opens_at_in": timedelta(days=1)}, "beginnt am"),
    ("closed", {"registration_closes_at_in": timedelta(hours=-1)}, "Anmeldefrist"),
    ("past", {"starts_in": timedelta(hours=-1)}, "bereits stattgefunden"),
])
def test_registration_not_open(make_workshop, now, state, change, message):
    fields = dict(change)
    if "registration_opens_at_in" in fields:
        fields["registration_opens_at"] = now + fields.pop("registration_opens_at_in")
    if "registration_closes_at_in" in fields:
        fields["registration_closes_at"] = now + fields.pop("registration_closes_at_in")
    workshop = make_workshop(capacity=5, **fields)
    assert workshop.registration_state(now) == state
    expected = NotFound if state == "draft" else RegistrationClosed
    with pytest.raises(expected) as error:
        seats.register(workshop.id, applicant(1), now=now)
    db.session.rollback()
    if message:
        assert message in str(error.value)
    assert db.session.scalar(select(db.func.count(Registration.id))) == 0


def test_invalid_applicant_lists_every_field(make_workshop, now):
    workshop = make_workshop()
    with pytest.raises(InvalidInput) as error:
        seats.register(workshop.id, applicant(1, name=" ", email="kein-at", municipality="",
                                                consent=False), now=now)
    assert set(error.value.errors) == {"name", "email", "municipality", "consent"}


def test_accessibility_needs_only_with_explicit_consent(make_workshop, now):
    workshop = make_workshop()
    with pytest.raises(InvalidInput) as error:
        seats.register(workshop.id, applicant(1, accessibility_needs="Rollstuhl"), now=now)
    assert "accessibility_consent" in error.value.errors
    db.session.rollback()
    result = register(workshop, 1, now, accessibility_needs="Rollstuhl",
                      accessibility_consent=True)
    assert result.registration.accessibility_needs == "Rollstuhl"
    seats.cancel(result.registration.id, now=now)
    db.session.commit()
    assert db.session.get(Registration, result.registration.id).accessibility_needs is None


def test_confirm_waitlisted_is_refused(make_workshop, now):
    workshop = make_workshop(capacity=0)
    result = register(workshop, 1, now)
    with pytest.raises(StateConflict):
        seats.confirm(result.registration.id, now=now)


def test_cancelled_workshop_releases_seats_and_tells_everyone(make_programme, make_workshop,
                                                              now):
    programme = make_programme(capacity=1)
    a = make_workshop(capacity=1, programme_=programme)
    b = make_workshop(capacity=1, programme_=programme)
    register(a, 1, now)
    register(a, 2, now + timedelta(seconds=1))
    register(b, 3, now + timedelta(seconds=2))  # waits for the programme cap
    affected = workshops.cancel_workshop(a.id, "Erkrankung der Referentin", now=now)
    db.session.commit()
    assert len(affected) == 2
    assert kinds(1)[-1] == "workshop_cancelled" and kinds(2)[-1] == "workshop_cancelled"
    assert db.session.get(Registration, 3).status == S.pending


def test_raising_capacity_promotes(make_workshop, now):
    workshop = make_workshop(capacity=0)
    register(workshop, 1, now)
    workshops.set_capacity(workshop.id, 1, now=now)
    db.session.commit()
    assert db.session.get(Registration, 1).status == S.pending


def test_rolled_back_registration_leaves_no_mail(make_workshop, now):
    workshop = make_workshop()
    seats.register(workshop.id, applicant(1), now=now)
    db.session.rollback()
    assert kinds() == []


def test_a_repeated_public_registration_does_not_overwrite_the_persons_details(make_workshop,
                                                                              now):
    """Whoever types somebody else's address must not change that person's name."""
    from events.models import Participant
    from events.services import seats

    first, second = make_workshop(capacity=5), make_workshop(capacity=5)
    seats.register(first.id, applicant(1, name="Erika Mustermann"), now=now)
    db.session.commit()
    seats.register(second.id, applicant(1, name="Jemand Anderes", municipality="Irgendwo"),
                   now=now)
    db.session.commit()
    person = db.session.scalar(select(Participant))
    assert (person.name, person.municipality) == ("Erika Mustermann", "Stadt Köln")
