from .actor import Actor, unique_slug
from .alerts import Alert, AlertDelivery
from .choices import ActorKind, ModerationStatus, Weekday
from .editorial import Article, ArticleImage, ArticleKind, ArticleState, ArticleStatus, Partner
from .embed import EmbedView
from .figures import ListingCountDay, PageViewDay, SearchDay
from .imports import ImportRecord, ImportRun, ImportSource, RecordAction, RunStatus
from .layer import DataVersion, LayerCell, LayerState
from .links import DistributionLink
from .market import MarketAuthorisation
from .moderation import ChangeRequest, Claim, Event, ModerationEvent, RequestStatus
from .photo import ActorPhoto
from .schedule import OpeningSlot, ScheduleException, Season
from .taxonomy import Category, Label, SaleMode

__all__ = [
    "Actor",
    "Alert",
    "AlertDelivery",
    "ActorPhoto",
    "ActorKind",
    "Article",
    "ArticleImage",
    "ArticleKind",
    "ArticleState",
    "ArticleStatus",
    "Partner",
    "EmbedView",
    "ListingCountDay",
    "PageViewDay",
    "SearchDay",
    "ImportRecord",
    "ImportRun",
    "ImportSource",
    "RecordAction",
    "RunStatus",
    "Category",
    "ChangeRequest",
    "Claim",
    "Event",
    "ModerationEvent",
    "RequestStatus",
    "DataVersion",
    "DistributionLink",
    "LayerCell",
    "LayerState",
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
