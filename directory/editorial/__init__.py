""" "Fenêtre sur…": articles, their rendering, public pages, feeds, editor and API."""
