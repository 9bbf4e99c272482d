"""Tables of verified identity: confirmed commenters' addresses and the one-time links that confirm them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.models import MAX_EMAIL_LENGTH, Base, UTCDateTime, utcnow


class VerifiedIdentity(Base):
    """An e-mail address its owner confirmed by link, with the name they confirmed it under."""

    __tablename__ = "verified_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), unique=True)  # lowercased
    name: Mapped[str] = mapped_column(String(245))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdentityRequest(Base):
    """A confirmation link mailed to an address; usable once, until IDENTITY_LINK_MAX_AGE passes."""

    __tablename__ = "identity_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), index=True)  # lowercased
    name: Mapped[str] = mapped_column(String(245))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
