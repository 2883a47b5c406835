"""Staff figures (/staff/chiffres/): visits, searches, listings, registrations, embeds."""
