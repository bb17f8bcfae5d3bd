"""Turning what a CSV row or a webhook says about a lead into a validated `LeadData`.

Both intakes share these rules, so a lead is accepted or refused the same way whichever way it
arrives: the owner is a known active member (by name or email), the segment is one of the
strategy's (by id, name or alias), content ids are in the strategy's content library, the time
is ISO 8601 (a time without a zone is read as UTC and the caller is told so by the docs, not
guessed per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bounds import DATE_RANGE, date_in_range
from bot.leads.book import STATUSES, LeadData
from bot.storage.models import Member
from bot.strategy.schema import Strategy

MAX_ID = 128
MAX_TEXT = 200


class LeadRejected(ValueError):
    """Why a lead record cannot be taken, in words the sender can act on."""


def parse_time(text: str, what: str = "engaged_at") -> datetime:
    """An ISO 8601 instant; naive times are UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise LeadRejected(f"{what} '{text[:40]}' is not an ISO 8601 time like "
                           "2026-03-02T09:15:00Z") from None
    if not date_in_range(value):
        raise LeadRejected(f"{what} '{text[:40]}' is outside the dates the bot keeps ({DATE_RANGE})")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class LeadResolver:
    """Validates lead records against the members and the strategy, with lookups loaded once."""

    strategy: Strategy
    members: dict[str, Member]
    _segment_names: dict[str, set[str]] | None = field(default=None, repr=False)

    @classmethod
    async def load(cls, session: AsyncSession, strategy: Strategy,
                   owners: Iterable[str] | None = None) -> LeadResolver:
        """Load the active members once for a batch, or only those `owners` name (one request)."""
        query = select(Member).where(col(Member.active).is_(True))
        if owners is not None:
            wanted = [o.strip().lower() for o in owners]
            query = query.where(func.lower(Member.name).in_(wanted)
                                | func.lower(Member.email).in_(wanted))
        rows = (await session.exec(query)).all()
        members: dict[str, Member] = {}
        for member in rows:
            members.setdefault(member.name.lower(), member)
            if member.email:
                members.setdefault(member.email.lower(), member)
        return cls(strategy, members)

    def owner(self, reference: str) -> Member:
        member = self.members.get(reference.strip().lower())
        if member is None:
            raise LeadRejected(f"owner '{reference[:80]}' is not a member the bot knows (use the "
                               "name or email of someone added with /align team add)")
        return member

    def segment(self, segment: str) -> str:
        """The strategy's segment id for what a sender calls it: the id, the segment's name or
        one of its aliases, in any case ("Mid-market fintech", "fintech", "MIDMARKET_FINTECH"),
        so a CRM's picklist values work without a mapping table."""
        text = segment.strip()
        if text in self.strategy.segment_ids:
            return text
        matches = self.segment_names().get(" ".join(text.lower().split()), set())
        if len(matches) == 1:
            return next(iter(matches))
        if len(matches) > 1:
            raise LeadRejected(f"segment '{text[:64]}' could be any of {', '.join(sorted(matches))}"
                               "; use the segment id")
        known = ", ".join(sorted(self.strategy.segment_ids))
        raise LeadRejected(f"segment '{text[:64]}' is not in the strategy ({known}; their names"
                           " and aliases work too)")

    def segment_names(self) -> dict[str, set[str]]:
        """Every lower-cased id, name and alias, with the segment ids it names."""
        if self._segment_names is None:
            names: dict[str, set[str]] = {}
            for item in self.strategy.segments:
                for name in (item.id, item.name, *item.aliases):
                    names.setdefault(" ".join(name.lower().split()), set()).add(item.id)
            self._segment_names = names
        return self._segment_names

    def content(self, ids: Iterable[str]) -> tuple[str, ...]:
        known = {c.id for c in self.strategy.content}
        cleaned = tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
        unknown = [i for i in cleaned if i not in known]
        if unknown:
            raise LeadRejected(f"content '{unknown[0][:64]}' is not in the strategy's content "
                               "library")
        return cleaned

    def lead(self, *, source: str, external_id: str, company: str, segment: str, owner: str,
             engaged_at: datetime, contact_name: str = "", contact_email: str | None = None,
             content: Sequence[str] = (), status: str | None = None) -> LeadData:
        """A validated lead; raises LeadRejected naming the first problem."""
        external_id, source = external_id.strip(), source.strip() or "import"
        if not external_id:
            raise LeadRejected("external_id is missing")
        if len(external_id) > MAX_ID or len(source) > 64:
            raise LeadRejected(f"external_id or source is longer than {MAX_ID} characters")
        if not company.strip():
            raise LeadRejected("company is missing")
        if status is not None and status not in STATUSES:
            raise LeadRejected(f"status '{status[:20]}' is not one of {', '.join(STATUSES)}")
        member = self.owner(owner)
        assert member.id is not None
        return LeadData(source=source, external_id=external_id,
                        company=company.strip()[:MAX_TEXT], segment=self.segment(segment),
                        owner_id=member.id, engaged_at=engaged_at,
                        contact_name=contact_name.strip()[:MAX_TEXT],
                        contact_email=(contact_email or "").strip()[:320] or None,
                        content=self.content(content), status=status)
