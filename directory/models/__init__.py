from .actor import Actor, unique_slug
from .choices import ActorKind, ModerationStatus, Weekday
from .links import DistributionLink
from .market import MarketAuthorisation
from .photo import ActorPhoto
from .schedule import OpeningSlot, ScheduleException, Season
from .taxonomy import Category, Label, SaleMode

__all__ = [
    "Actor",
    "ActorPhoto",
    "ActorKind",
    "Category",
    "DistributionLink",
    "Label",
    "MarketAuthorisation",
    "ModerationStatus",
    "OpeningSlot",
    "SaleMode",
    "ScheduleException",
    "Season",
    "Weekday",
    "unique_slug",
]
