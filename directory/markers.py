"""How each kind of actor looks on the maps: a colour and a pictogram.

The pictogram is there so that kinds can be told apart without seeing colours (about one
man in twelve cannot tell the greens from the browns); the legend repeats both.
Pictograms are 16 × 16 SVG paths drawn with a white stroke.
"""

from django.utils.html import format_html

from .models import ActorKind

KIND_COLOURS = {
    ActorKind.PRODUCER: "#2f6b2f",
    ActorKind.FARM_SHOP: "#5a8f1f",
    ActorKind.SHOP: "#1f5f8b",
    ActorKind.ARTISAN: "#8b4513",
    ActorKind.MARKET: "#a8760b",
    ActorKind.PICKUP: "#6a3d9a",
    ActorKind.BASKET: "#c2185b",
}

KIND_PICTOGRAMS = {
    # a sprout
    ActorKind.PRODUCER: "M8 14V7M8 9C8 5.5 5.5 3.5 2.5 3.5c0 3 2.5 5.5 5.5 5.5ZM8 7c0-2.5 2-4.5 5.5-4.5 0 3-2 4.5-5.5 4.5Z",
    # a barn
    ActorKind.FARM_SHOP: "M2.5 14V7L8 2.5 13.5 7v7ZM6 14v-4h4v4",
    # a shopping bag
    ActorKind.SHOP: "M3 5.5h10l-1 8.5H4ZM5.5 5.5V4a2.5 2.5 0 0 1 5 0v1.5",
    # a loaf of bread
    ActorKind.ARTISAN: "M2.5 9.5C2.5 6 5 4.5 8 4.5s5.5 1.5 5.5 5V12h-11ZM6 5.2V8M8.5 4.8V8M11 5.5V8",
    # a market stall
    ActorKind.MARKET: "M2 6.5 3.5 3h9L14 6.5ZM3.5 6.5V14M12.5 6.5V14M2 14h12",
    # a parcel
    ActorKind.PICKUP: "M2.5 5 8 2.5 13.5 5v6.5L8 14l-5.5-2.5ZM2.5 5 8 7.5 13.5 5M8 7.5V14",
    # a basket
    ActorKind.BASKET: "M2 7h12l-1.5 6.5h-9ZM4.5 7 7 2.5M11.5 7 9 2.5M6 9.5v2M10 9.5v2",
}


def pictogram_svg(kind) -> str:
    """The pictogram as inline SVG, for the legend and the list (decorative: aria-hidden)."""
    return format_html(
        '<svg class="pictogram" viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
        '<path d="{}"/></svg>',
        KIND_PICTOGRAMS[kind],
    )


def map_styles() -> dict:
    """What search.js needs to draw markers: {kind: {"colour": …, "path": …}}."""
    return {
        str(kind): {"colour": KIND_COLOURS[kind], "path": KIND_PICTOGRAMS[kind]}
        for kind in ActorKind
    }


def legend() -> list[dict]:
    return [
        {
            "kind": str(kind),
            "label": kind.label,
            "colour": KIND_COLOURS[kind],
            "svg": pictogram_svg(kind),
        }
        for kind in ActorKind
    ]
