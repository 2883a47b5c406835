"""Actors: farms, shops, artisans, markets, pick-up points and basket schemes."""

from collections import Counter

from django.conf import settings
from django.contrib.gis.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geodata.text import normalize

from .choices import ActorKind, ModerationStatus
from .position import SOURCE_FIELDS, set_public_locations
from .querysets import ActorQuerySet
from .taxonomy import Category, Label, SaleMode

# Fields of the listing whose historical copies keep no index of their own (Actor.history).
HISTORY_UNINDEXED = [
    "slug",
    "kind",
    "status",
    "registration_token",
    "commune",
    "owner",
    "merged_into",
    "import_source",
]


class Actor(models.Model):
    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("adresse de la fiche"), max_length=170, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=ActorKind.choices)  # indexed in Meta
    description = models.TextField(_("présentation"), blank=True)
    products = models.TextField(
        _("produits"), blank=True, help_text=_("Texte libre : « fromages de chèvre, yaourts… »")
    )
    # Name, products and description without accents or case: what text search matches
    # on, identically on SQLite and PostgreSQL (neither folds accents by itself).
    search_text = models.TextField(editable=False, default="")
    # The keys of the actor's categories ("3 5 12"), kept by directory.models.category_keys
    # after every change of them: a search's page reads them with the row instead of one
    # lookup of the link table per result. Never written by save() (see there).
    category_keys = models.TextField(editable=False, default="")

    # Where
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.ForeignKey(
        "geodata.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actors",
        verbose_name=_("commune"),
    )
    location = models.PointField(_("position"), srid=4326, spatial_index=True)
    # False while a registration's pin is still the town hall placed at step one.
    location_checked = models.BooleanField(_("position vérifiée"), default=True)
    location_is_approximate = models.BooleanField(
        _("position approximative"),
        default=False,
        help_text=_(
            "Producteur à domicile : la carte publique montre la commune, jamais la maison."
        ),
    )
    # Where the public sees the listing (derived, see models/position.py): ``location`` for
    # most, the commune's town hall for a home-based producer. Every public computation
    # (distances, bbox, clusters, maps, exports) reads this one; ``location`` stays private.
    # Never NULL (a check constraint: SpatiaLite cannot make a geometry column NOT NULL).
    public_location = models.PointField(
        _("position publique"), srid=4326, spatial_index=True, editable=False, null=True
    )

    # Public contacts (phone first: many customers order by phone)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail public"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    shop_url = models.URLField(
        _("boutique en ligne"), blank=True, help_text=_("Cagette, Open Food Network…")
    )
    # Private contact, for the team only
    contact_name = models.CharField(_("personne à contacter"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail de contact (privé)"), blank=True)
    contact_phone = models.CharField(_("téléphone de contact (privé)"), max_length=20, blank=True)

    categories = models.ManyToManyField(
        Category, blank=True, related_name="actors", verbose_name=_("catégories")
    )
    labels = models.ManyToManyField(
        Label, blank=True, related_name="actors", verbose_name=_("labels")
    )
    sale_modes = models.ManyToManyField(
        SaleMode, blank=True, related_name="actors", verbose_name=_("modes de vente")
    )

    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ModerationStatus.choices,
        default=ModerationStatus.PENDING,
    )  # indexed in Meta
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actors",
        verbose_name=_("propriétaire"),
    )
    proposed_places = models.TextField(
        _("autres lieux de vente proposés"),
        blank=True,
        help_text=_("Marchés ou points de retrait absents de la liste : nom, commune, jour."),
    )

    # Hours as a partner's list wrote them, when they could not all be read into slots
    # (directory.hours): shown on the listing as « Horaires communiqués : … ».
    hours_text = models.TextField(_("horaires communiqués"), blank=True)
    closed_on_public_holidays = models.BooleanField(_("fermé les jours fériés"), default=False)

    # Owner self-service
    closed_until = models.DateField(_("fermé jusqu'au"), null=True, blank=True)
    closed_note = models.CharField(_("message de fermeture"), max_length=200, blank=True)
    deletion_requested_at = models.DateTimeField(
        _("suppression demandée le"), null=True, blank=True
    )

    # Registration and freshness
    registration_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    consent_at = models.DateTimeField(_("consentement donné le"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("fusionnée dans"),
    )

    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    source_key = models.CharField(
        _("identifiant dans la source"), max_length=100, blank=True, default=""
    )
    # Listings relayed from a partner's list: where they came from, under which licence
    # (shown on the page), and whether the partner's latest file still has them.
    import_source = models.ForeignKey(
        "ImportSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actors",
        verbose_name=_("liste d'origine"),
    )
    source_dropped_at = models.DateTimeField(
        _("absente de sa source depuis le"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    confirmed_at = models.DateTimeField(_("informations confirmées le"), null=True, blank=True)

    objects = ActorQuerySet.as_manager()
    # Every change, by whom and when; a version can be restored from the admin. The private
    # contact is in there too: GDPR deletions remove the history with the listing.
    history = HistoricalRecords(
        m2m_fields=["categories"],
        excluded_fields=["search_text", "public_location", "category_keys"],
        # The history is read one listing at a time (by id, in date order): the copies of
        # the listing's own indexes were only written, 11 more on every change of every
        # listing (an import's 50,000 among them).
        no_db_index=HISTORY_UNINDEXED,
    )

    class Meta:
        verbose_name = _("acteur")
        verbose_name_plural = _("acteurs")
        ordering = ["name", "pk"]
        permissions = [("moderate_actor", _("Peut modérer les fiches"))]
        # Plain B-tree indexes: a CharField's db_index also builds, on PostgreSQL, a second
        # index for LIKE that no query uses and every write maintains.
        indexes = [
            models.Index(fields=["kind"], name="actor_kind"),
            models.Index(fields=["status"], name="actor_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~models.Q(source_key=""),
                name="unique_actor_source_key",
            ),
            models.CheckConstraint(
                condition=models.Q(public_location__isnull=False),
                name="actor_public_location_set",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name, exclude_pk=self.pk)
        self.search_text = self.build_search_text()
        derived = {"search_text"}
        update_fields = kwargs.get("update_fields")
        if update_fields is None or SOURCE_FIELDS & set(update_fields):
            set_public_locations([self])
            derived.add("public_location")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *derived}
        super().save(*args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        # category_keys follows the categories in the database, written there when they
        # change (directory.models.category_keys): this instance's copy may be older (loaded
        # before the change), so save() never writes it over an existing row. Everything
        # else is Django's: a row gone meanwhile is inserted again (the admin's history
        # restores a deleted listing so), with the keys its categories then refresh.
        values = [value for value in values if value[0].attname != "category_keys"]
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)

    def build_search_text(self) -> str:
        """The normalised text that text search matches on."""
        return normalize(" ".join((self.name, self.products, self.description)))

    def get_absolute_url(self):
        return self.url_for_slug(self.slug)

    @staticmethod
    def url_for_slug(slug: str) -> str:
        return reverse("directory:actor-detail", kwargs={"slug": slug})


def unique_slug_base(name: str) -> str:
    """The slug a name starts from, before any -2, -3 suffix."""
    return (slugify(name) or "acteur")[:160]


# Suffixes tried with an exact lookup first. A prefix (LIKE) search cannot use the slug's
# index on SQLite, so with many listings it scanned the table once per new listing.
SLUG_TRIES = 20


def unique_slug(name: str, exclude_pk=None) -> str:
    """A slug from the name, suffixed -2, -3… until it is free."""
    base = unique_slug_base(name)
    others = Actor.objects.exclude(pk=exclude_pk)
    tries = [base] + [f"{base}-{n}" for n in range(2, SLUG_TRIES + 1)]
    taken = set(others.filter(slug__in=tries).values_list("slug", flat=True))
    free = next((slug for slug in tries if slug not in taken), None)
    if free is not None:
        return free
    taken = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    n = SLUG_TRIES
    while (slug := f"{base}-{n}") in taken:
        n += 1
    return slug


# Slugs looked up per query by unique_slugs(): well under any backend's parameter limit.
SLUG_LOOKUP_CHUNK = 900


def _taken_slugs(candidates) -> set[str]:
    candidates = list(candidates)
    taken = set()
    for start in range(0, len(candidates), SLUG_LOOKUP_CHUNK):
        chunk = candidates[start : start + SLUG_LOOKUP_CHUNK]
        taken.update(Actor.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    return taken


def unique_slugs(names: list[str]) -> list[str]:
    """unique_slug() for several new listings at once (an import's batch): the same slugs
    as choosing them one after the other, with one lookup per 900 candidates.

    Each base is first checked for as many slugs as the batch needs of it (most names
    are not taken yet: one candidate each, where asking for all twenty of every name cost
    a twentieth of an import), and only a base found taken is checked for its other ones.
    """
    bases = [unique_slug_base(name) for name in names]
    wanted = Counter(bases)
    tries = {base: [base] + [f"{base}-{n}" for n in range(2, SLUG_TRIES + 1)] for base in wanted}
    first = [slug for base, n in wanted.items() for slug in tries[base][:n]]
    taken, checked = _taken_slugs(first), set(first)
    again = [
        slug
        for base, n in wanted.items()
        if any(slug in taken for slug in tries[base][:n])
        for slug in tries[base][n:]
    ]
    taken |= _taken_slugs(again)
    checked.update(again)
    chosen = []
    for base in bases:
        slug = None
        for candidate in tries[base]:
            if candidate not in checked:
                # Another name of the batch took one of this base's first slugs ("Ferme 2"
                # makes ferme-2): the database is asked for the rest before going on.
                rest = [c for c in tries[base] if c not in checked]
                taken |= _taken_slugs(rest)
                checked.update(rest)
            if candidate not in taken:
                slug = candidate
                break
        if slug is None:  # twenty namesakes: the prefix lookup, as unique_slug() does
            taken.update(Actor.objects.filter(slug__startswith=base).values_list("slug", flat=True))
            n = SLUG_TRIES
            while (slug := f"{base}-{n}") in taken:
                n += 1
        taken.add(slug)
        chosen.append(slug)
    return chosen
