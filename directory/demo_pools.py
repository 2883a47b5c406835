"""Word pools for the demo data generator: French names, specialities, streets."""

SURNAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont "
    "Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin Henry Roussel Nicolas "
    "Perrin Morin Mathieu Clément Gauthier Dumont Fontaine Chevalier Robin Masson Sanchez Boyer "
    "Denis Lemaire Duval Joly Gautier Roger Renaud Gérard Picard Aubert Brun Rivière Marchand"
).split()
FIRST_NAMES = (
    "Marie Jean Anne Pierre Claire Luc Sophie Paul Julie Louis Camille Hugo Léa Thomas Chloé "
    "Antoine Manon Nicolas Emma Julien Sarah Mathieu Inès Vincent Élodie Romain Pauline Baptiste"
).split()
PLACES = [
    "des Tilleuls", "du Moulin", "de la Fontaine", "des Grands Champs", "du Bois Joli",
    "de la Vallée", "du Prieuré", "des Trois Chênes", "de la Motte", "du Petit Bois", "des Noues",
    "de Beauregard", "de la Borde", "des Aulnes", "du Grand Pré", "de la Source", "des Sablons",
    "de la Garenne", "du Coteau", "des Vignes", "de la Croix Blanche", "du Chêne Vert",
]
STREETS = [
    "rue de l'Église", "route de la Forêt", "chemin des Vignes", "rue du Moulin", "place du Marché",
    "rue de la Mairie", "route des Étangs", "allée des Tilleuls", "rue Principale", "chemin de la Croix",
]

# (name templates, category slugs, products text, likely labels)
PRODUCER_SPECIALITIES = [
    (["Les Jardins {place}", "Maraîchage {surname}", "Le Potager {place}"], ["fruits-legumes"],
     "légumes de saison, salades, tomates anciennes, pommes de terre, courges", ["bio", "hve"]),
    (["La Chèvrerie {place}", "Ferme caprine {surname}"], ["fromage-laitier"],
     "fromages de chèvre fermiers (Sainte-Maure-de-Touraine, Selles-sur-Cher, Valençay), faisselles",
     ["aop", "bienvenue-ferme"]),
    (["Le Rucher {place}", "Miellerie {surname}"], ["miel"],
     "miel de fleurs, miel d'acacia, miel de tilleul, pain d'épices, pollen", ["bio"]),
    (["Ferme {surname}", "GAEC {place}"], ["viande"],
     "colis de bœuf limousin, veau rosé, steaks hachés", ["label-rouge"]),
    (["Les Volailles {place}", "Ferme avicole {surname}"], ["volaille", "oeufs"],
     "poulets fermiers, pintades, canards, œufs de poules plein air", ["label-rouge", "bio"]),
    (["Les Vergers {place}", "Arboriculture {surname}"], ["fruits-legumes", "boissons", "conserves"],
     "pommes, poires, cerises, jus de pomme, confitures", ["hve"]),
    (["Domaine {surname}", "Domaine {place}"], ["boissons"],
     "vins blancs, rouges et rosés, fines bulles, vins de Loire", ["aop", "bio"]),
    (["Paysan boulanger {surname}", "Le Fournil {place}"], ["pain", "epicerie"],
     "farines de blés anciens, pain au levain, lentilles vertes, huile de colza", ["bio", "nature-progres"]),
    (["Les Serres {place}", "Horticulture {surname}"], ["plantes", "fleurs"],
     "plants potagers, aromatiques, fleurs coupées de saison", []),
    (["La Ferme {place}", "Élevage {surname}"], ["viande"],
     "porc plein air, rillettes, rillons, saucisses, pâtés", ["bienvenue-ferme"]),
    (["Laiterie {place}", "Ferme laitière {surname}"], ["fromage-laitier"],
     "lait cru, beurre, crème, yaourts, tommes", ["bio"]),
    (["Savonnerie {place}"], ["hygiene"],
     "savons au lait d'ânesse, cosmétiques naturels", ["nature-progres"]),
    (["Safran {place}", "Les Cueillettes {place}"], ["epicerie", "conserves"],
     "safran, sirops, tisanes, confits", []),
    (["Pisciculture {place}", "Les Étangs {place}"], ["poisson"],
     "truites, carpes et sandres de Sologne et de Brenne, terrines de poisson", []),
]
SHOP_NAMES = ["Magasin de producteurs {of_commune}", "Épicerie {surname}", "La Halle fermière {of_commune}",
              "Le Panier local {of_commune}", "Épicerie vrac {of_commune}"]
ARTISAN_TRADES = [
    ("Boulangerie {surname}", ["pain"], "pain au levain, baguettes de tradition, viennoiseries"),
    ("Boucherie {surname}", ["viande", "volaille"], "viande de bœuf et d'agneau de la région, charcuterie maison"),
    ("Fromagerie {surname}", ["fromage-laitier"], "fromages fermiers de la région, crèmerie"),
    ("Poissonnerie {of_commune}", ["poisson"], "poissons de rivière et de mer"),
    ("Charcuterie {surname}", ["viande"], "rillettes, rillons, andouillettes, boudin"),
]
