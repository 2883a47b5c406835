"""Root URL configuration."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory.health import health
from directory.language import set_language
from directory.security_txt import security_txt
from directory.sitemaps import SITEMAPS

admin.site.site_header = "Tout Près — administration"
admin.site.site_title = "Tout Près"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The language menu posts no CSRF token, so that public pages hold none and can be
    # kept in the page cache; another site's post is refused (directory.language).
    path("i18n/setlang/", set_language, name="set_language"),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    # Health check for load balancers and monitors (database, cache, migrations).
    path("sante/", health, name="health"),
    path("healthz", health, name="healthz"),
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemaps.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # The API's contract, generated from the code, and its docs served from our own static files.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script as a file of its own (the "split" view), so the docs run
    # under the site's script-src 'self'; its page and widgets style themselves inline.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("", include("directory.urls")),
]
# A database outage raised outside a view is a 503 too, not a 500 (directory.outage).
handler500 = "directory.outage.server_error"
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
