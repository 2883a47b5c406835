"""The moderation log: one call per decision or notable change."""

from ..models.moderation import ModerationEvent


def log(actor, action, by=None, reason: str = "", details: dict | None = None) -> ModerationEvent:
    return ModerationEvent.objects.create(
        actor=actor,
        actor_name=actor.name if actor else "",
        action=action,
        by=by if by is not None and by.is_authenticated else None,
        reason=reason,
        details=details or {},
    )
