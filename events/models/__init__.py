"""Every table, imported here so that Alembic's autogenerate sees all of them."""

from events.models.audit import AuditEntry
from events.models.contributions import (
    FEDERAL_STATES,
    Attachment,
    BodyKind,
    Contribution,
    ContributionRevision,
    ContributionState,
)
from events.models.messages import Broadcast, Certificate
from events.models.organisers import ApiToken, LoginFailure, Organiser, Role
from events.models.outbox import OutboxMessage, OutboxStatus
from events.models.people import (
    ENDED,
    SEAT_HOLDING,
    Participant,
    ProgrammeTally,
    Registration,
    RegistrationStatus,
    RegistrationTally,
    normalise_email,
)
from events.models.programme import Programme, Theme, Workshop, WorkshopStatus
from events.models.second_factor import RecoveryCode, SecuritySetting
from events.models.types import UTCDateTime, utcnow

__all__ = [
    "FEDERAL_STATES",
    "Attachment",
    "BodyKind",
    "Contribution",
    "ContributionRevision",
    "ContributionState",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "Certificate",
    "LoginFailure",
    "Organiser",
    "Role",
    "ENDED",
    "SEAT_HOLDING",
    "OutboxMessage",
    "OutboxStatus",
    "Participant",
    "Programme",
    "RecoveryCode",
    "SecuritySetting",
    "Registration",
    "RegistrationStatus",
    "ProgrammeTally",
    "RegistrationTally",
    "Theme",
    "UTCDateTime",
    "Workshop",
    "WorkshopStatus",
    "normalise_email",
    "utcnow",
]
