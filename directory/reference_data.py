"""Reference lists seeded in every database: the essentials of the 2020 rural-basket handbook.

Used by migration 0002 and by tests that flush the database (browser tests).
"""

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

# Words partners write for each category in their lists (singular, without accents: they
# are compared with the normalised words of a cell, plurals folded). Extend freely.
CATEGORY_WORDS = {
    "fruits-legumes": ["fruit", "legume", "maraichage", "maraicher", "primeur", "pomme", "salade"],
    "viande": ["viande", "boeuf", "bovin", "bovine", "veau", "porc", "agneau", "charcuterie"],
    "volaille": ["volaille", "poulet", "canard", "oie", "dinde", "pintade", "lapin"],
    "poisson": ["poisson", "crustace", "coquillage", "huitre", "moule", "truite"],
    "pain": ["pain", "farine", "viennoiserie", "boulangerie", "brioche"],
    "fromage-laitier": ["fromage", "lait", "laitier", "laitiere", "yaourt", "beurre", "creme"],
    "oeufs": ["oeuf"],
    "miel": ["miel", "apiculture", "pollen", "propolis"],
    "epicerie": ["epicerie", "pate", "huile", "legumineuse", "lentille", "cereale"],
    "conserves": ["conserve", "confiture", "terrine", "plat cuisine", "soupe"],
    "boissons": ["vin", "biere", "jus", "cidre", "boisson", "spiritueux", "poire"],
    "plantes": ["plante", "plant", "aromatique"],
    "fleurs": ["fleur"],
    "hygiene": ["savon", "cosmetique", "hygiene"],
}
LABEL_WORDS = {
    "bio": ["bio", "ab", "agriculture biologique", "biologique", "organic"],
    "label-rouge": ["label rouge"],
    "aop": ["aop", "aoc"],
    "igp": ["igp"],
    "hve": ["hve"],
    "bienvenue-ferme": ["bienvenue a la ferme"],
}

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


def seed(Category, Label, SaleMode) -> None:
    """Create or update the reference rows (idempotent)."""
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})
    for position, (slug, name, url) in enumerate(LABELS):
        Label.objects.update_or_create(
            slug=slug, defaults={"name": name, "url": url, "position": position}
        )
    for position, (slug, name) in enumerate(SALE_MODES):
        SaleMode.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})
