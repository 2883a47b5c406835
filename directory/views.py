"""Public pages."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from .models import Actor, ActorKind, DistributionLink


def home(request):
    """Landing page: what the directory holds, by kind, and the latest listings."""
    published = Actor.objects.published()
    counts = dict(published.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    kinds = [(kind, counts.get(kind.value, 0)) for kind in ActorKind]
    latest = published.select_related("commune__departement").order_by("-created_at", "-pk")[:8]
    return render(
        request,
        "directory/home.html",
        {"kinds": kinds, "total": sum(counts.values()), "latest": latest},
    )


def actor_detail(request, slug):
    """A listing; unpublished ones are 404 for everyone but their owner and the staff."""
    actor = get_object_or_404(
        Actor.objects.visible_to(request.user)
        .select_related("commune__departement__region")
        .prefetch_related(
            "categories",
            "labels",
            "sale_modes",
            "opening_slots__season",
            "schedule_exceptions",
            Prefetch(
                "distribution_links",
                queryset=DistributionLink.objects.select_related("place__commune"),
            ),
            Prefetch(
                "supplier_links",
                queryset=DistributionLink.objects.filter(actor__status="published").select_related(
                    "actor__commune"
                ),
            ),
        ),
        slug=slug,
    )
    return render(request, "directory/actor_detail.html", {"actor": actor})
