from django.urls import path

from . import embed, layer, sheet, standalone, views
from .alerts import views as alerts
from .api import actors as api_actors
from .api import articles as api_articles
from .api import places as api_places
from .api import reference as api_reference
from .api.throttling import SiteRateThrottle
from .editorial import feeds
from .editorial import views as editorial
from .figures import views as figures
from .imports import views as imports
from .moderation import views as moderation
from .opendata import views as opendata
from .pagecache import public_page
from .registration import views as owner

app_name = "directory"

urlpatterns = [
    # The pages a launch-day crowd asks again and again, kept while nothing they show
    # changed (directory.pagecache).
    path("", public_page(views.home), name="home"),
    path("acteurs/<slug:slug>/", public_page(views.actor_detail), name="actor-detail"),
    path("fiche/", sheet.sheet, name="sheet"),
    path("marches/", public_page(views.markets), name="markets"),
    path("carte.html", standalone.download, name="standalone-map"),
    path("embed/", embed.embed, name="embed"),
    path("donnees/", opendata.index, name="opendata"),
    path("donnees/<str:filename>", opendata.download, name="opendata-file"),
    path("integrer/", embed.builder, name="embed-builder"),
    # « Nouveau près de chez moi »
    path("alertes/", alerts.subscribe, name="alerts"),
    path("alertes/<uuid:token>/confirmer/", alerts.confirm, name="alert-confirm"),
    path("alertes/<uuid:token>/desabonner/", alerts.unsubscribe, name="alert-unsubscribe"),
    path("alertes/<uuid:token>/reabonner/", alerts.resubscribe, name="alert-resubscribe"),
    # "Fenêtre sur…"
    path("fenetre-sur/", editorial.article_list, name="articles"),
    path("fenetre-sur/atom.xml", feeds.ArticlesAtom(), name="articles-atom"),
    path("fenetre-sur/rss.xml", feeds.ArticlesRss(), name="articles-rss"),
    path("fenetre-sur/apercu/", editorial.markdown_preview, name="article-preview"),
    path("fenetre-sur/<slug:slug>/", editorial.article_detail, name="article"),
    path("acteurs/<slug:slug>/revendiquer/", owner.claim, name="claim"),
    # Registration and owners' self-service
    path("inscription/", owner.register, name="register"),
    path(
        "inscription/confirmer/<str:token>/",
        owner.registration_confirm,
        name="registration-confirm",
    ),
    path("mes-fiches/", owner.owner_home, name="owner-home"),
    path("mes-fiches/lien/", owner.link_request, name="owner-link"),
    path("mes-fiches/connexion/", owner.owner_login, name="owner-login"),
    path("mes-fiches/<int:pk>/", owner.owner_edit, name="owner-edit"),
    path("mes-fiches/<int:pk>/envoyee/", owner.owner_submitted, name="owner-submitted"),
    path("mes-fiches/<int:pk>/fermeture/", owner.owner_closure, name="owner-closure"),
    path("mes-fiches/<int:pk>/publication/", owner.owner_publication, name="owner-publication"),
    path("mes-fiches/<int:pk>/suppression/", owner.owner_deletion, name="owner-deletion"),
    path("mes-fiches/<int:pk>/confirmer/", owner.owner_confirm, name="owner-confirm"),
    path("mes-fiches/deconnexion/", owner.OwnerLogoutView.as_view(), name="owner-logout"),
    path("mes-fiches/confirmation/<str:token>/", owner.confirm_by_link, name="owner-confirm-link"),
    path("mes-fiches/<int:pk>/<slug:step>/", owner.owner_step, name="owner-step"),
    # Moderation desk
    path("moderation/", moderation.queue, name="moderation-queue"),
    path("moderation/fiches/<int:pk>/", moderation.actor_review, name="moderation-actor"),
    path("moderation/fiches/<int:pk>/fusion/", moderation.merge, name="moderation-merge"),
    path(
        "moderation/fiches/<int:pk>/proprietaire/",
        moderation.attach_owner,
        name="moderation-attach",
    ),
    path(
        "moderation/fiches/<int:pk>/suppression/",
        moderation.delete_listing,
        name="moderation-delete",
    ),
    path("moderation/modifications/<int:pk>/", moderation.change_review, name="moderation-change"),
    path("moderation/rattachements/<int:pk>/", moderation.claim_review, name="moderation-claim"),
    # Staff: figures
    path("staff/chiffres/", figures.figures, name="figures"),
    path("staff/chiffres/<slug:name>.csv", figures.figures_csv, name="figures-csv"),
    # Staff: partner list imports
    path("staff/imports/", imports.index, name="import-index"),
    path("staff/imports/<int:pk>/", imports.run_page, name="import-run"),
    path("staff/imports/<int:pk>/colonnes/", imports.run_mapping, name="import-mapping"),
    path("staff/imports/<int:pk>/etape/", imports.run_step, name="import-step"),
    path("staff/imports/<int:pk>/confirmer/", imports.run_confirm, name="import-confirm"),
    path("staff/imports/<int:pk>/annuler/", imports.run_cancel, name="import-cancel"),
    path(
        "staff/imports/<int:pk>/lignes/<int:record_pk>/importer/",
        imports.record_import_anyway,
        name="import-record-anyway",
    ),
    path(
        "staff/imports/<int:pk>/lignes/<int:record_pk>/commune/",
        imports.record_place,
        name="import-record-place",
    ),
    path("staff/imports/<int:pk>/rapport.csv", imports.run_report, name="import-report"),
    # Public API v1 (docs/api.md); the layer is our map's own format, outside the contract.
    path("api/v1/actors/", api_actors.ActorList.as_view(), name="api-actors"),
    # <str:…>, not <slug:…>: a malformed slug gets the API's JSON 404, not an HTML page.
    path("api/v1/actors/<str:slug>/", api_actors.ActorDetail.as_view(), name="api-actor"),
    path("api/v1/kinds/", api_reference.KindList.as_view(), name="api-kinds"),
    path("api/v1/categories/", api_reference.CategoryList.as_view(), name="api-categories"),
    path("api/v1/labels/", api_reference.LabelList.as_view(), name="api-labels"),
    path("api/v1/modes/", api_reference.SaleModeList.as_view(), name="api-modes"),
    path("api/v1/markets/", api_places.MarketList.as_view(), name="api-markets"),
    path("api/v1/places/", api_places.Gazetteer.as_view(), name="api-places"),
    # The same answers for our own pages, counted in the site's scope, not the API's quota.
    path(
        "carte/lieux/",
        api_places.Gazetteer.as_view(throttle_classes=[SiteRateThrottle]),
        name="site-places",
    ),
    path(
        "carte/departements/",
        api_places.DepartementList.as_view(throttle_classes=[SiteRateThrottle]),
        name="site-departements",
    ),
    # The same outlines at a versioned URL (their content hash), cached for a year.
    path(
        "carte/departements/<slug:version>.geojson",
        api_places.departement_outlines,
        name="site-departements-outlines",
    ),
    path("api/v1/regions/", api_places.RegionList.as_view(), name="api-regions"),
    path("api/v1/departements/", api_places.DepartementList.as_view(), name="api-departements"),
    path("api/v1/articles/", api_articles.ArticleList.as_view(), name="api-articles"),
    path("api/v1/layer/", layer.layer, name="api-layer"),
    # The map's tiles (directory.layer): fixed URLs that shared caches and CDNs can keep.
    path("api/v1/layer/<int:z>/<int:x>/<int:y>.geojson", layer.tile, name="api-layer-tile"),
]
