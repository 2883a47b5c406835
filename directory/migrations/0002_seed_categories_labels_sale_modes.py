"""Seed the reference lists: the essentials of the 2020 rural-basket handbook."""

from django.db import migrations

CATEGORIES = [
    ("fruits-legumes", "Fruits et légumes"),
    ("viande", "Viande et charcuterie"),
    ("volaille", "Volailles"),
    ("poisson", "Poisson et produits de la mer"),
    ("pain", "Pain, farines et viennoiseries"),
    ("fromage-laitier", "Fromages et produits laitiers"),
    ("oeufs", "Œufs"),
    ("miel", "Miel et produits de la ruche"),
    ("epicerie", "Épicerie sèche (pâtes, légumineuses, huiles…)"),
    ("conserves", "Conserves, confitures et plats cuisinés"),
    ("boissons", "Boissons (vins, bières, jus, cidres)"),
    ("plantes", "Plantes et plants"),
    ("fleurs", "Fleurs"),
    ("hygiene", "Produits d'hygiène et d'entretien"),
]

LABELS = [
    ("bio", "Agriculture biologique (AB)", "https://www.agencebio.org/"),
    ("nature-progres", "Nature & Progrès", "https://www.natureetprogres.org/"),
    ("demeter", "Demeter", "https://www.demeter.fr/"),
    ("hve", "Haute Valeur Environnementale (HVE)", ""),
    ("label-rouge", "Label Rouge", "https://www.inao.gouv.fr/"),
    ("aop", "AOP / AOC", "https://www.inao.gouv.fr/"),
    ("igp", "IGP", "https://www.inao.gouv.fr/"),
    ("bienvenue-ferme", "Bienvenue à la ferme", "https://www.bienvenue-a-la-ferme.com/"),
    ("accueil-paysan", "Accueil Paysan", "https://www.accueil-paysan.com/"),
]

SALE_MODES = [
    ("sur-place", "Vente sur place (ferme, boutique)"),
    ("marche", "Sur les marchés"),
    ("point-retrait", "Point de retrait, drive fermier"),
    ("livraison", "Livraison à domicile"),
    ("telephone", "Commande par téléphone"),
    ("en-ligne", "Boutique en ligne"),
    ("distributeur", "Distributeur automatique"),
    ("panier", "Paniers, AMAP"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("directory", "Category")
    Label = apps.get_model("directory", "Label")
    SaleMode = apps.get_model("directory", "SaleMode")
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})
    for position, (slug, name, url) in enumerate(LABELS):
        Label.objects.update_or_create(
            slug=slug, defaults={"name": name, "url": url, "position": position}
        )
    for position, (slug, name) in enumerate(SALE_MODES):
        SaleMode.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})


def unseed(apps, schema_editor):
    for model, rows in (("Category", CATEGORIES), ("Label", LABELS), ("SaleMode", SALE_MODES)):
        apps.get_model("directory", model).objects.filter(slug__in=[r[0] for r in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_actors_schedules_and_distribution")]
    operations = [migrations.RunPython(seed, unseed)]
