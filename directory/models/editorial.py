""" "Fenêtre sur…": the editorial feed of producer, product and place portraits."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import clock


class ArticleKind(models.TextChoices):
    PORTRAIT = "portrait", _("Portrait de producteur")
    PRODUCT = "product", _("Produit de saison")
    POINT_OF_SALE = "point_of_sale", _("Point de vente")
    INITIATIVE = "initiative", _("Initiative locale")
    NEWS = "news", _("Actualité")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    REVIEW = "review", _("À relire")
    # "Published" with a publication date still ahead is shown as scheduled (see state).
    PUBLISHED = "published", _("Publié")


class ArticleState(models.TextChoices):
    """What the public sees: ArticleStatus plus time."""

    DRAFT = "draft", _("Brouillon")
    REVIEW = "review", _("À relire")
    SCHEDULED = "scheduled", _("Programmé")
    PUBLISHED = "published", _("Publié")


class Partner(models.Model):
    """An organisation that supplies content or embeds the map (chamber, association, town)."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    website = models.URLField(_("site web"), blank=True)

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Articles the public may read: published, and their time has come."""
        return self.filter(
            status=ArticleStatus.PUBLISHED, publish_at__lte=now or clock.now()
        ).order_by("-publish_at", "-pk")

    def editable_by(self, user):
        """Editors see every article; contributors (partners) only the ones they wrote."""
        if user.has_perm("directory.publish_article"):
            return self
        return self.filter(author=user)


def image_path(instance, filename: str) -> str:
    # Random names: uploads of drafts must not be guessable before publication.
    return f"fenetre-sur/{uuid.uuid4().hex}.jpg"


class Article(models.Model):
    title = models.CharField(_("titre"), max_length=150)
    slug = models.SlugField(
        _("adresse"),
        max_length=160,
        unique=True,
        help_text=_("Fin de l'adresse de la page, ex. « la-ferme-des-quatre-vents »."),
    )
    kind = models.CharField(_("rubrique"), max_length=20, choices=ArticleKind.choices)
    lead = models.TextField(
        _("chapô"),
        max_length=400,
        help_text=_("Deux ou trois phrases : reprises sur l'accueil, dans le flux et au partage."),
    )
    body = models.TextField(
        _("texte"),
        help_text=_(
            "En Markdown : ## intertitre, **gras**, *italique*, - liste, > citation, "
            "[lien](https://…), ![description](https://…image.jpg). Une vidéo YouTube, "
            "Vimeo ou Dailymotion seule sur sa ligne devient un lecteur."
        ),
    )
    cover = models.ImageField(
        _("image de couverture"),
        upload_to=image_path,
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
    )
    cover_width = models.PositiveIntegerField(editable=False, null=True)
    cover_height = models.PositiveIntegerField(editable=False, null=True)
    cover_alt = models.CharField(
        _("description de l'image"),
        max_length=200,
        blank=True,
        help_text=_("Lue aux personnes aveugles ou malvoyantes. Obligatoire avec une image."),
    )
    # {"480": "fenetre-sur/….jpg", …}: the display sizes generated from the cover.
    cover_sizes = models.JSONField(default=dict, blank=True, editable=False)
    credits = models.CharField(
        _("crédits"), max_length=200, blank=True, help_text=_("Texte et photos : qui les signe.")
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("partenaire qui a fourni le contenu"),
    )
    actors = models.ManyToManyField(
        "Actor",
        blank=True,
        related_name="articles",
        verbose_name=_("fiches liées"),
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    publish_at = models.DateTimeField(
        _("date de publication"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Heure de Paris. Dans le futur : l'article est programmé."),
    )
    featured = models.BooleanField(
        _("à la une"), default=False, help_text=_("Mis en avant sur la page d'accueil.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("auteur"),
        editable=False,
    )
    # The private preview link: whoever has it reads the article before publication.
    preview_key = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    history = HistoricalRecords(m2m_fields=["actors"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article « Fenêtre sur… »")
        verbose_name_plural = _("articles « Fenêtre sur… »")
        ordering = ["-publish_at", "-pk"]
        permissions = [("publish_article", _("Publier et programmer les articles"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(publish_at__isnull=False),
                name="published_article_has_a_date",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("directory:article", kwargs={"slug": self.slug})

    def get_preview_url(self):
        return f"{self.get_absolute_url()}?apercu={self.preview_key}"

    @property
    def state(self) -> str:
        if self.status != ArticleStatus.PUBLISHED:
            return self.status
        if self.publish_at and self.publish_at > clock.now():
            return ArticleState.SCHEDULED
        return ArticleState.PUBLISHED

    def get_state_display(self) -> str:
        return ArticleState(self.state).label

    @property
    def is_public(self) -> bool:
        return self.state == ArticleState.PUBLISHED


class ArticleImage(models.Model):
    """The gallery under an article."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="images", verbose_name=_("article")
    )
    image = models.ImageField(
        _("image"),
        upload_to=image_path,
        width_field="width",
        height_field="height",
        help_text=_("JPEG, PNG ou WebP, 10 Mo au plus. Tailles d'affichage créées à l'envoi."),
    )
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    sizes = models.JSONField(default=dict, blank=True, editable=False)
    alt_text = models.CharField(_("ce que montre l'image"), max_length=200)
    credit = models.CharField(_("crédit"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("image de la galerie")
        verbose_name_plural = _("galerie")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.alt_text
